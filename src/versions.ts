import * as tf from '#tfjs';

/** Versions recorded with every run (config.json, checkpoints), for reproducibility. */
export function versions(): Record<string, string> {
  return {
    metarl: '0.1.0',
    tfjs: tf.version_core,
    backend: tf.getBackend() ?? 'none',
    node: typeof process !== 'undefined' ? process.version : 'browser',
  };
}
