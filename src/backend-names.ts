/**
 * The names `initBackend` and the CLI's `--backend` accept, kept in a module that imports nothing, so
 * that `metarl --help` can list them without loading tfjs.
 */

/** Every backend name, `auto` first. */
export const BACKEND_NAMES = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;

/** A `--backend` value: `auto` picks the first native package that loads, else wasm, else cpu. */
export type BackendName = (typeof BACKEND_NAMES)[number];

/** Whether `name` is one of {@link BACKEND_NAMES}. */
export function isBackendName(name: unknown): name is BackendName {
  return typeof name === 'string' && (BACKEND_NAMES as readonly string[]).includes(name);
}
