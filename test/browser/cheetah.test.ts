/**
 * The demo's half-cheetah view in Chromium: a tiny HalfCheetahVel-v0 run is trained at test time
 *   node bin/metarl.mjs train --env HalfCheetahVel-v0 --preset tiny --iterations 1 --out <tmp>/run
 * (a few seconds; 16×16 policy), `npm run demo -- --run <tmp>/run` builds and serves the page, the
 * test sets a target velocity, presses the adapt button, and waits for both animations (before and
 * after one gradient step, sampled and adapted in the page on tfjs wasm) to finish.
 *
 * A policy meta-trained for one iteration does not adapt reliably, so this does NOT check that the
 * return improves (demo.test.ts does that on the navigation fixture). It checks that the returns are
 * finite and that the adaptation changed the parameters: the two mean-action episodes start from the
 * same reset, so equal parameters would give equal returns.
 *
 * Needs /usr/bin/chromium (see demo.test.ts). METARL_CHEETAH_SCREENSHOT=path/to.png keeps the
 * screenshot (the README's docs/demo-cheetah.png).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHROMIUM = process.env.METARL_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI) throw new Error(`${CHROMIUM} not found: .ci/run should have installed chromium`);
if (!haveChromium) console.warn(`test/browser: skipped, ${CHROMIUM} not found (apt-get install -y chromium)`);

/** As in demo.test.ts: the flags this machine's closed network needs. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const VELOCITY = 1.5;
/** Episodes per step: more than the tiny run's fastBatchSize (5), fewer than a real run's 20, to stay quick. */
const EPISODES = 10;

describe.skipIf(!haveChromium)('browser demo, half-cheetah view (Chromium)', () => {
  let tmp: string;
  let server: ChildProcess | undefined;
  let context: BrowserContext | undefined;
  let page: Page;
  let url: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'metarl-cheetah-demo-'));
    const run = join(tmp, 'run');
    const env = { ...process.env };
    delete env.NODE_ENV; // vitest sets 'test'; the page is built as in `npm run demo`
    const train = spawnSync(process.execPath, ['bin/metarl.mjs', 'train', '--env', 'HalfCheetahVel-v0', '--preset', 'tiny', '--iterations', '1', '--out', run], {
      cwd: REPO,
      env,
      encoding: 'utf8',
    });
    if (train.status !== 0) throw new Error(`metarl train exited with ${train.status ?? train.signal}:\n${train.stderr}`);

    server = spawn(process.execPath, ['--import', 'tsx', 'demo/cli.ts', '--run', run, '--out', join(tmp, 'dist'), '--port', '0'], {
      cwd: REPO,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    server.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    url = await new Promise<string>((ok, fail) => {
      let out = '';
      server!.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /demo: serving (http:\/\/\S+)/.exec(out);
        if (m) ok(m[1]!);
      });
      server!.on('exit', (code) => fail(new Error(`demo server exited with ${code}:\n${stderr}`)));
    });
    context = await chromium.launchPersistentContext(join(tmp, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1100, height: 900 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(`${m.text()} ${m.location().url}`);
    });
    page.on('response', (r) => {
      if (r.status() >= 400) pageErrors.push(`${r.status()} ${r.url()}`);
    });
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    if (server?.pid !== undefined && server.exitCode === null) server.kill('SIGTERM');
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('runs the policy before and after one adaptation step at a chosen velocity and animates both', async () => {
    await page.goto(url);
    await page.waitForSelector('#status[data-state="ready"]', { timeout: 60_000 });
    expect(await page.textContent('#run-info')).toMatch(/HalfCheetahVel-v0.*iteration 1 of 1.*backend wasm/);
    // The default episodes per step: min(fastBatchSize, 20).
    expect(await page.inputValue('#episodes')).toBe('5');
    await page.fill('#episodes', String(EPISODES));
    // Nothing runs before the button is pressed.
    expect(await page.getAttribute('#cheetah-after', 'data-state')).toBe('empty');

    // Set the slider (a range input cannot be filled) as a drag would: value, then an input event.
    await page.locator('#cheetah-velocity').evaluate((el, v) => {
      (el as HTMLInputElement).value = String(v);
      el.dispatchEvent(new Event('input', { bubbles: true }));
    }, VELOCITY);
    expect(await page.textContent('#cheetah-velocity-value')).toBe('1.50 m/s');
    await page.click('#cheetah-adapt');

    await page.waitForSelector('#status[data-state="adapted"]', { timeout: 30_000 });
    expect(await page.textContent('#task-info')).toBe(`target velocity 1.50 m/s, ${EPISODES} episodes per step`);
    // Both episodes (100 control steps, 5 s in real time) play to the end.
    await page.waitForSelector('#cheetah-before[data-state="done"]', { timeout: 30_000 });
    await page.waitForSelector('#cheetah-after[data-state="done"]', { timeout: 30_000 });
    expect(await page.getAttribute('#cheetah-before', 'data-frames')).toBe('101');
    expect(await page.getAttribute('#cheetah-after', 'data-frames')).toBe('101');

    const value = async (sel: string) => Number(await page.getAttribute(sel, 'data-value'));
    const before = await value('#cheetah-return-before');
    const after = await value('#cheetah-return-after');
    expect(Number.isFinite(before) && Number.isFinite(after)).toBe(true);
    // No before < after: a 1-iteration policy does not adapt reliably. Same reset, same dynamics:
    // different returns mean the gradient step changed the parameters.
    expect(after).not.toBe(before);
    // The table's means over the sampled episodes.
    expect(Number.isFinite(await value('#return-0')) && Number.isFinite(await value('#return-1'))).toBe(true);
    expect(await page.textContent('#cheetah-return-after')).toMatch(/^return −?\d+\.\d\d$/);
    expect(pageErrors).toEqual([]);

    const shot = process.env.METARL_CHEETAH_SCREENSHOT ? resolve(REPO, process.env.METARL_CHEETAH_SCREENSHOT) : join(tmp, 'demo-cheetah.png');
    // The header and the playground (the curves of a 1-iteration run are a single point).
    const box = (await page.locator('#playground-section').boundingBox())!;
    await page.screenshot({ path: shot, clip: { x: 0, y: 0, width: 1100, height: Math.ceil(box.y + box.height + 12) } });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    console.info(`cheetah view: mean-action return before ${before.toFixed(2)}, after 1 step ${after.toFixed(2)}; screenshot ${shot}`);
  }, 60_000);
});
