#!/usr/bin/env node
// Entry point of the `metarl` command: runs the TypeScript CLI through tsx's loader.
import { register } from 'tsx/esm/api';
import { preloadTfjs } from '../src/preload-tfjs.mjs';
register();
// A command (not help, the version or an unknown command) loads tfjs: loaded first, without reading its source maps.
const { COMMANDS } = await import('../scripts/options.ts');
const args = process.argv.slice(2);
if (COMMANDS.includes(args[0] ?? '') && !args.some((a) => a === '--help' || a === '-h')) await preloadTfjs();
const { runCli } = await import('../scripts/cli.ts');
await runCli(args);
