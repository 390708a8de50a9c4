#!/usr/bin/env node
// Entry point of the `metarl` command. It runs the JavaScript that scripts/build.mjs compiles beside
// each TypeScript file (npm install builds it) when that build is up to date, and the TypeScript
// itself through tsx's loader otherwise, which takes about half a second more to start.
// With an --env-module it always runs the TypeScript: the user's module imports metarl's TypeScript
// (envs/index.ts, or `metarl/envs`), and registers its envs in that copy of the registry, which the
// compiled command would not see. METARL_FROM_SOURCE=1 (or true, yes) runs the TypeScript too.
import { fileURLToPath } from 'node:url';
import { buildIsFresh, fromSourceRequested } from './build-state.mjs';
import { preloadTfjs } from '../src/preload-tfjs.mjs';

const args = process.argv.slice(2);
const fromBuild =
  !fromSourceRequested() && !args.some((a) => a === '--env-module' || a.startsWith('--env-module=')) && buildIsFresh(fileURLToPath(new URL('..', import.meta.url)));
if (fromBuild) process.setSourceMapsEnabled(true); // stack traces in TypeScript lines, as under tsx
else (await import('tsx/esm/api')).register();
const ext = fromBuild ? 'js' : 'ts';
// A command (not help, the version or an unknown command) loads tfjs: loaded first, without reading its source maps.
const { COMMANDS } = await import(`../scripts/options.${ext}`);
if (COMMANDS.includes(args[0] ?? '') && !args.some((a) => a === '--help' || a === '-h')) await preloadTfjs();
const { runCli } = await import(`../scripts/cli.${ext}`);
await runCli(args);
