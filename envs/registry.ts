import { EnvContractError, envShapeProblems } from '../src/env-contract.ts';
import type { MetaEnv } from '../src/types.ts';
import { didYouMean } from '../src/suggest.ts';

/** Builds a fresh env instance. */
export type EnvFactory = () => MetaEnv;

/** A registered environment: a versioned id (`Name-vN`) and its factory. */
export interface EnvSpec {
  id: string;
  factory: EnvFactory;
  /** One line for `--help` listings. */
  description: string;
}

const registry = new Map<string, EnvSpec>();
/** The keys of an {@link EnvSpec}. */
const SPEC_KEYS: readonly string[] = ['id', 'factory', 'description'];
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*-v\d+$/;

/** For `Name-v1` when `Name` is registered under other versions: ` (Name is registered as Name-v0 only)`, else ''. */
function otherVersions(id: string, known: readonly string[]): string {
  const name = /^(.*)-v\d+$/.exec(id)?.[1];
  const versions = name === undefined ? [] : known.filter((k) => k.startsWith(`${name}-v`) && /^-v\d+$/.test(k.slice(name.length)));
  return versions.length > 0 ? ` (${name} is registered as ${versions.join(', ')} only)` : '';
}

/** Thrown for an unknown env id; `known` lists what is registered. */
export class UnknownEnvError extends Error {
  readonly id: string;
  readonly known: string[];

  /**
   * @param id the id asked for.
   * @param known the registered ids, listed in the message (with the one `id` most plausibly
   *   misspells, when one does).
   */
  constructor(
    id: string,
    known: string[],
  ) {
    // Omniglot's envs read files: registered by importing metarl/agents (Node only), not by metarl/envs or metarl/browser.
    const omniglot = id.startsWith('Omniglot') && !known.some((k) => k.startsWith('Omniglot')) ? ' (the Omniglot envs read their images from files: importing metarl/agents registers them, in Node only)' : '';
    super(`unknown env id ${JSON.stringify(id)}${otherVersions(id, known) || didYouMean(id, known)}${omniglot}; known: ${known.join(', ')}`);
    this.id = id;
    this.known = known;
    this.name = 'UnknownEnvError';
  }
}

/** What `v` is, for a message: "a string (\"X-v0\")", "an object", "undefined". */
function kind(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === 'string') return `a string (${JSON.stringify(v)})`;
  if (typeof v === 'object') return Array.isArray(v) ? 'an array' : 'an object';
  return `a ${typeof v}`;
}

/**
 * Registers an env under a versioned id. Changing an env's dynamics, reward or task
 * distribution must bump its version, so a registered id always means one MDP family.
 * @param spec one object: `{ id, factory, description }`; `factory` is a function that returns a
 *   new env each call, synchronously.
 * @throws RangeError when `spec` is not such an object or has another key, for an id not of the form `Name-v0` or one
 *   already registered, for a `factory` that is not a function, or a `description` that is not a string.
 */
export function register(spec: EnvSpec): void {
  // register('X-v0', factory) would otherwise be told its id is undefined.
  if (spec === null || typeof spec !== 'object') throw new RangeError(`register: takes one object { id, factory, description }, got ${kind(spec)}`);
  // Found by a library trial: a key of another registry's spec (entryPoint) was taken silently.
  for (const k of Object.keys(spec)) {
    if (!SPEC_KEYS.includes(k)) throw new RangeError(`register: ${JSON.stringify(k)} is not a key of an env spec${didYouMean(k, SPEC_KEYS)}; its keys: ${SPEC_KEYS.join(', ')} (factory returns the env)`);
  }
  if (!ID_PATTERN.test(spec.id)) {
    throw new RangeError(`register: env id must look like Name-v0, got ${JSON.stringify(spec.id)}`);
  }
  if (registry.has(spec.id)) throw new RangeError(`register: env id ${spec.id} is already registered`);
  // Found otherwise only at make(), as "spec.factory is not a function".
  if (typeof spec.factory !== 'function') throw new RangeError(`register: factory of ${spec.id} must be a function that returns a new env, got ${kind(spec.factory)}`);
  if (spec.description !== undefined && typeof spec.description !== 'string') throw new RangeError(`register: description of ${spec.id} must be a string, got ${kind(spec.description)}`);
  registry.set(spec.id, spec);
}

/**
 * A new instance of the env registered as `id`; throws {@link UnknownEnvError} listing known ids, and
 * an {@link EnvContractError} when the instance's own `id` is not `id`, a method of `MetaEnv` is
 * missing or a space or `maxEpisodeSteps` is malformed (`envShapeProblems`).
 */
export function make(id: string): MetaEnv {
  const spec = registry.get(id);
  if (!spec) throw new UnknownEnvError(id, listEnvs());
  const env = spec.factory();
  // Messages, logs and runs name envs by `env.id`: it must be the id the env is registered under.
  // Not an object at all: that alone is the fault (its id and shape follow from it).
  if (env === null || typeof env !== 'object') throw new EnvContractError(id, [`its factory returned ${String(env)}, not an env`]);
  // An async factory: its methods would be reported missing, one by one.
  if (typeof (env as { then?: unknown }).then === 'function') throw new EnvContractError(id, ['its factory returned a Promise, not an env: factories are synchronous (load what the env needs before register, or in reset)']);
  const problems = env.id === id ? [] : [`its factory made an env whose id is ${JSON.stringify(env.id)}; set the env's id to the id it is registered under`];
  // A missing method or a malformed space would otherwise fail deep inside training.
  problems.push(...envShapeProblems(env));
  if (problems.length > 0) throw new EnvContractError(id, problems);
  return env;
}

/** The registered ids, sorted. */
export function listEnvs(): string[] {
  return [...registry.keys()].sort();
}

/** The spec registered as `id`, or undefined. */
export function envSpec(id: string): EnvSpec | undefined {
  return registry.get(id);
}
