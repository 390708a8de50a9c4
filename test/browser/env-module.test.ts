/**
 * The browser demo with an env of one's own: `npm run demo -- --run <ring run> --env-module
 * examples/navigation-ring.ts --view Navigation2D-v0` bundles the module into the page, which makes
 * the run's env (NavigationRing-v0) and adapts to a clicked goal with the navigation view. Without
 * the module, the demo refuses the run and says what to pass.
 *
 * Needs /usr/bin/chromium, as test/browser/demo.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { REPO, demoEnv, haveChromium, makeTmp, openDemoPage, type DemoPage } from './demo-page.ts';

const RING = join(REPO, 'examples', 'navigation-ring.ts');

describe.skipIf(!haveChromium)('browser demo with --env-module (Chromium)', () => {
  let demo: DemoPage | undefined;
  let page: Page;
  let url: string;
  let pageErrors: string[];
  let run: string;

  beforeAll(async () => {
    const tmp = makeTmp('metarl-demo-ring-');
    run = join(tmp, 'ring');
    const t = spawnSync(process.execPath, [join(REPO, 'bin', 'metarl.mjs'), 'train', '--env-module', RING, '--preset', 'tiny', '--iterations', '2', '--workers', '1', '--out', run], { encoding: 'utf8' });
    if (t.status !== 0) throw new Error(`training the ring run failed:\n${t.stderr}`);
    demo = await openDemoPage(tmp, run, { width: 1100, height: 1000 }, ['--env-module', RING, '--view', 'Navigation2D-v0']);
    ({ page, url, pageErrors } = demo);
  }, 150_000);

  afterAll(async () => {
    await demo?.close();
  });

  it("makes the run's env from the bundled module and adapts to a clicked goal in the borrowed view", async () => {
    await page.goto(url);
    await page.waitForSelector('#status[data-state="ready"]', { timeout: 60_000 });
    expect(await page.textContent('#run-info')).toMatch(/NavigationRing-v0.*iteration 2 of 2/);
    const svg = page.locator('#nav-svg');
    const box = (await svg.boundingBox())!;
    await svg.click({ position: { x: box.width * 0.8, y: box.height * 0.3 } });
    await page.waitForSelector('#step-count[data-value="1"]', { timeout: 30_000 });
    await page.waitForSelector('#status[data-state="adapted"]', { timeout: 30_000 });
    for (const k of [0, 1]) expect(Number.isFinite(Number(await page.locator(`#return-${k}`).getAttribute('data-value')))).toBe(true);
    expect(await page.locator('#nav-svg g[data-step="1"] polyline').count()).toBeGreaterThan(0);
    // The training worker has a registry of its own: the env module is bundled into it too.
    await page.fill('#train-iterations', '1');
    await page.click('#train');
    await page.waitForSelector('body[data-iteration="3"]', { timeout: 60_000 });
    await page.waitForSelector('#status[data-state="ready"]', { timeout: 30_000 });
    const trained = JSON.parse((await page.getAttribute('#train-info', 'data-last'))!);
    expect(trained.iteration).toBe(2);
    expect(Number.isFinite(trained.returnsAfter)).toBe(true);
    expect(pageErrors).toEqual([]);
  }, 90_000);

  it('without the module the demo refuses the run, naming the module it was trained with; an unknown view is refused', () => {
    const demoCli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'demo/cli.ts', ...args], { cwd: REPO, env: demoEnv(), encoding: 'utf8' });
    const r = demoCli('--run', run, '--build-only', '--out', join(run, 'no-dist'));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`demo: --run: the run's env "NavigationRing-v0" is not built in: pass --env-module ${RING} (the run was trained with it)`);
    const v = demoCli('--run', run, '--env-module', RING, '--view', 'Nope-v0', '--build-only', '--out', join(run, 'no-dist'));
    expect(v.status).toBe(2);
    expect(v.stderr).toContain('demo: --view: no playground view for "Nope-v0"; views: Navigation2D-v0, HalfCheetahVel-v0, HalfCheetahDir-v0');
    // A view whose tasks the env does not have is refused before the build.
    const w = demoCli('--run', run, '--env-module', RING, '--view', 'HalfCheetahVel-v0', '--build-only', '--out', join(run, 'no-dist'));
    expect(w.status).toBe(2);
    expect(w.stderr).toContain('demo: --view: the HalfCheetahVel-v0 view cannot show NavigationRing-v0: its tasks are not target velocities');
    // A module that needs Node cannot go into the page: a user error naming it, not a build stack.
    const nodey = join(run, 'nodey.mts');
    writeFileSync(nodey, [
      "import { readFileSync } from 'node:fs';",
      `import { register } from ${JSON.stringify(join(REPO, 'envs', 'index.ts'))};`,
      `import { NavigationRingEnv } from ${JSON.stringify(RING)};`,
      "class Nodey extends NavigationRingEnv { override reset(o?: { seed?: number }) { readFileSync('/dev/null'); return super.reset(o); } }",
      "register({ id: 'NodeyRing-v0', factory: () => Object.assign(new Nodey(), { id: 'NodeyRing-v0' }) });",
    ].join('\n'));
    // With colours forced on, as CI has them: Vite then wraps its message in terminal codes.
    const b = spawnSync(process.execPath, ['--import', 'tsx', 'demo/cli.ts', '--run', run, '--env-module', RING, '--env-module', nodey, '--build-only', '--out', join(run, 'no-dist')], {
      cwd: REPO,
      env: { ...demoEnv(), FORCE_COLOR: '1' },
      encoding: 'utf8',
    });
    expect(b.status, b.stderr).toBe(2);
    expect(b.stderr).toMatch(new RegExp(`demo: --env-module: ${nodey.replace(/[.]/g, '\\.')} cannot run in the page: .*readFileSync.*must be browser-safe`));
    expect(b.stderr).not.toMatch(/\n\s+at /);
  }, 120_000);
});
