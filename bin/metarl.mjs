#!/usr/bin/env node
// Entry point of the `metarl` command: runs the TypeScript CLI through tsx's loader.
import { register } from 'tsx/esm/api';
import { preloadTfjs } from '../src/preload-tfjs.mjs';
register();
// A command (not help or the version) loads tfjs: loaded first, without reading its source maps.
const args = process.argv.slice(2);
if (args.length > 0 && !args.some((a) => a === '--help' || a === '-h' || a === '--version' || a === 'help')) await preloadTfjs();
await import('../scripts/cli.ts');
