/** The env registry: versioned ids, no duplicates, clear errors, and instances that carry their registered id. */
import { describe, expect, it } from 'vitest';
import { UnknownEnvError, envSpec, listEnvs, make, register } from '../../envs/index.ts';
import { Navigation2DEnv } from '../../envs/navigation-2d.ts';

class Renamed extends Navigation2DEnv {
  override readonly id = 'RegistryTestRenamed-v0';
}

describe('env registry', () => {
  it('make gives a fresh instance of a registered env, and an unknown id lists the known ones', () => {
    const a = make('Navigation2D-v0');
    expect(a).toBeInstanceOf(Navigation2DEnv);
    expect(make('Navigation2D-v0')).not.toBe(a);
    expect(() => make('Navigation2D-v9')).toThrow(UnknownEnvError);
    expect(() => make('Navigation2D-v9')).toThrow(`unknown env id "Navigation2D-v9" (Navigation2D is registered as Navigation2D-v0 only); known: ${listEnvs().join(', ')}`);
    expect(() => make('Pendulum-v1')).toThrow(`unknown env id "Pendulum-v1"; known: ${listEnvs().join(', ')}`);
    // Without metarl/agents (as in a page), an Omniglot id says where those envs come from (found by a browser-page trial).
    expect(() => make('Omniglot5Way1Shot-v0')).toThrow(`unknown env id "Omniglot5Way1Shot-v0" (the Omniglot envs read their images from files: importing metarl/agents registers them, in Node only); known: ${listEnvs().join(', ')}`);
  });

  it('register refuses an id without a version and an id registered already', () => {
    expect(() => register({ id: 'NoVersion', factory: () => new Navigation2DEnv(), description: '' })).toThrow('env id must look like Name-v0, got "NoVersion"');
    expect(() => register({ id: 'Navigation2D-v0', factory: () => new Navigation2DEnv(), description: '' })).toThrow('env id Navigation2D-v0 is already registered');
  });

  // Found by an API trial: these were taken, and failed at make() as "spec.factory is not a function", or named the id as undefined.
  it('register refuses a factory that is not a function, a description that is not a string, and arguments not in one object', () => {
    const bad = (spec: unknown) => () => register(spec as Parameters<typeof register>[0]);
    expect(bad({ id: 'RegistryTestNoFactory-v0' })).toThrow('register: factory of RegistryTestNoFactory-v0 must be a function that returns a new env, got undefined');
    expect(bad({ id: 'RegistryTestNoFactory-v0', factory: { a: 1 } })).toThrow('register: factory of RegistryTestNoFactory-v0 must be a function that returns a new env, got an object');
    expect(bad({ id: 'RegistryTestNoFactory-v0', factory: () => new Navigation2DEnv(), description: 3 })).toThrow('register: description of RegistryTestNoFactory-v0 must be a string, got a number');
    expect(bad('RegistryTestNoFactory-v0')).toThrow('register: takes one object { id, factory, description }, got a string ("RegistryTestNoFactory-v0")');
    // Found by a library trial: a key of another registry's spec was taken silently.
    expect(bad({ id: 'RegistryTestNoFactory-v0', factory: () => new Navigation2DEnv(), description: '', entryPoint: 'x' })).toThrow('register: "entryPoint" is not a key of an env spec; its keys: id, factory, description (factory returns the env)');
    expect(bad({ id: 'RegistryTestNoFactory-v0', factory: () => new Navigation2DEnv(), descripton: '' })).toThrow('register: "descripton" is not a key of an env spec (did you mean description?)');
    expect(envSpec('RegistryTestNoFactory-v0')).toBeUndefined();
  });

  it('make names a factory that returns a Promise', () => {
    if (!envSpec('RegistryTestAsync-v0')) register({ id: 'RegistryTestAsync-v0', factory: (async () => new Navigation2DEnv()) as unknown as () => Navigation2DEnv, description: 'test' });
    expect(() => make('RegistryTestAsync-v0')).toThrow('RegistryTestAsync-v0: its factory returned a Promise, not an env');
  });

  it("make refuses an env whose own id is not the one it is registered under, and takes one that is", () => {
    if (!envSpec('RegistryTestWrongId-v0')) register({ id: 'RegistryTestWrongId-v0', factory: () => new Navigation2DEnv(), description: 'test' });
    expect(() => make('RegistryTestWrongId-v0')).toThrow('RegistryTestWrongId-v0: its factory made an env whose id is "Navigation2D-v0"');
    if (!envSpec('RegistryTestRenamed-v0')) register({ id: 'RegistryTestRenamed-v0', factory: () => new Renamed(), description: 'test' });
    expect(make('RegistryTestRenamed-v0').id).toBe('RegistryTestRenamed-v0');
  });
});
