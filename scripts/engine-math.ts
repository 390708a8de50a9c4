/**
 * Where Node and Chromium compute differently, for the README's Determinism section: the same
 * probe runs in this Node and in Debian's Chromium (through playwright-core, as the browser tests
 * do) and the results are compared bit for bit.
 *
 *   npx tsx scripts/engine-math.ts
 *
 * The probe: Math.sin, Math.cos, Math.sqrt and Math.hypot of 20 000 arguments drawn in [−10, 10]
 * by a fixed integer generator, and one HalfCheetahVel-v0 episode (velocity 1.5, reset seed 3)
 * under fixed pseudo-random actions.
 */
import { writeFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// esbuild comes with vite (a dev dependency), which uses it for the same job.
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { probe } from './engine-math-probe.ts';

const dir = mkdtempSync(join(tmpdir(), 'metarl-engine-math-'));
const bundle = join(dir, 'probe.js');
await build({ entryPoints: [join(import.meta.dirname, 'engine-math-probe.ts')], bundle: true, format: 'iife', globalName: 'Probe', platform: 'browser', outfile: bundle, logLevel: 'warning' });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const page = await browser.newPage();
await page.addScriptTag({ content: readFileSync(bundle, 'utf8') });
const inPage = JSON.parse(await page.evaluate(() => JSON.stringify((globalThis as unknown as { Probe: { probe: () => unknown } }).Probe.probe()))) as ReturnType<typeof probe>;
const version = browser.version();
await browser.close();
const inNode = probe();

const lines = [`Node ${process.version} (V8 ${process.versions.v8}) against Chromium ${version}:`];
for (const k of Object.keys(inNode.math) as (keyof typeof inNode.math)[]) {
  const a = inNode.math[k];
  const b = inPage.math[k];
  lines.push(`  Math.${k}: ${a.filter((x, i) => !Object.is(x, b[i])).length} of ${a.length} results differ`);
}
const first = inNode.cheetah.findIndex((x, i) => !Object.is(x, inPage.cheetah[i]));
lines.push(
  first < 0
    ? '  cheetah episode: identical'
    : `  cheetah episode: first difference at step ${Math.floor(first / 18)} (${first % 18 === 0 ? 'reward' : `observation ${(first % 18) - 1}`}): ${inNode.cheetah[first]} in Node, ${inPage.cheetah[first]} in Chromium`,
);
writeFileSync(join(dir, 'result.txt'), `${lines.join('\n')}\n`);
process.stdout.write(`${lines.join('\n')}\n`);
