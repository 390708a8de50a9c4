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

  it("make refuses an env whose own id is not the one it is registered under, and takes one that is", () => {
    if (!envSpec('RegistryTestWrongId-v0')) register({ id: 'RegistryTestWrongId-v0', factory: () => new Navigation2DEnv(), description: 'test' });
    expect(() => make('RegistryTestWrongId-v0')).toThrow('RegistryTestWrongId-v0: its factory made an env whose id is "Navigation2D-v0"');
    if (!envSpec('RegistryTestRenamed-v0')) register({ id: 'RegistryTestRenamed-v0', factory: () => new Renamed(), description: 'test' });
    expect(make('RegistryTestRenamed-v0').id).toBe('RegistryTestRenamed-v0');
  });
});
