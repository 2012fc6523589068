import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { initProject } from '../main/project/init-project.ts';
import { openApp, type AppUnderTest } from './helpers/app.ts';

/** The minimap never covers a block: screenshots of the biggest example at 1440×900, canvas above and beside a block. */

const SCREENSHOTS = path.resolve('test-results');
const VIEWPORT = { width: 1440, height: 900 };

let root: string;
let app: AppUnderTest;
let page: Page;

const node = (name: string) => page.getByRole('button', { name, exact: true });
const shot = (name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `minimap-${name}.png`) });

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  root = mkdtempSync(path.join(os.tmpdir(), 'pw-minimap-'));
  process.env['PIPEWRIGHT_USER_DATA_DIR'] = path.join(root, 'user-data');
  const dir = path.join(root, 'taxi');
  await initProject(dir, { example: 'nyc-taxi' });
  app = await openApp(dir, { viewport: VIEWPORT });
  page = app.page;
  await page.getByRole('navigation', { name: 'Pipelines' }).getByRole('button', { name: 'yellow_taxi_etl' }).click();
  await node('load_yellow_taxi').waitFor();
});

after(async () => {
  const code = await app?.close();
  rmSync(root, { recursive: true, force: true });
  assert.equal(code, 0, `the app should stop cleanly:\n${app?.output()}`);
});

interface Overlap {
  canvas: { width: number; height: number };
  minimap: { width: number; height: number } | null;
  /** Blocks whose box, where it shows inside the canvas, meets the minimap's box. */
  covered: string[];
}

/** Which blocks the minimap's box meets, counting only the part of each block that shows inside the canvas. */
function minimapOverlap(): Promise<Overlap> {
  return page.evaluate(() => {
    const flow = document.querySelector('.react-flow');
    const pane = flow?.getBoundingClientRect();
    if (!flow || !pane) throw new Error('no canvas');
    const map = flow.querySelector('.react-flow__minimap')?.getBoundingClientRect();
    const covered: string[] = [];
    for (const el of flow.querySelectorAll<HTMLElement>('.react-flow__node')) {
      const r = el.getBoundingClientRect();
      const left = Math.max(r.left, pane.left);
      const right = Math.min(r.right, pane.right);
      const top = Math.max(r.top, pane.top);
      const bottom = Math.min(r.bottom, pane.bottom);
      if (left >= right || top >= bottom || !map) continue; // not in view
      if (left < map.right && right > map.left && top < map.bottom && bottom > map.top) covered.push(el.dataset['id'] ?? '?');
    }
    return {
      canvas: { width: pane.width, height: pane.height },
      minimap: map ? { width: map.width, height: map.height } : null,
      covered,
    };
  });
}

for (const place of ['none', 'Canvas above', 'Canvas beside'] as const) {
  test(`the minimap covers no block after zoom to fit (${place === 'none' ? 'no block open' : place})`, async (t) => {
    if (place !== 'none') {
      await node('load_yellow_taxi').click();
      await page.getByRole('button', { name: place }).click();
    }
    await page.getByRole('button', { name: 'Zoom to fit' }).click();
    const overlap = await minimapOverlap();
    t.diagnostic(JSON.stringify(overlap));
    await shot(place === 'none' ? 'whole' : place.toLowerCase().replace(' ', '-'));
    assert.deepEqual(overlap.covered, [], `the minimap covers ${overlap.covered.join(', ')}`);
    if (place !== 'none') await page.getByRole('button', { name: 'Close block details' }).click();
  });
}

test('the minimap stays while the pointer is on it, even when its pan brings a block under it, and goes once the pointer leaves', async (t) => {
  await node('load_yellow_taxi').click();
  await page.getByRole('button', { name: 'Canvas beside' }).click();
  await page.getByRole('button', { name: 'Zoom to fit' }).click();
  const minimap = page.getByRole('img', { name: 'Minimap' });
  await minimap.waitFor();
  const box = await minimap.boundingBox();
  assert.ok(box);
  // Dragging up on the minimap pans the canvas down until the first blocks reach its bottom-right corner.
  const from = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  let held = await minimapOverlap();
  // Half a pixel at a time: the minimap pans the canvas by many pixels for each of its own.
  for (let step = 1; step <= 120 && held.covered.length === 0; step++) {
    await page.mouse.move(from.x, from.y - step * 0.5);
    held = await minimapOverlap();
  }
  await page.mouse.up();
  t.diagnostic(JSON.stringify(held));
  await shot('held-under-pointer');
  assert.ok(held.covered.length > 0, 'the pan brought a block under the minimap');
  assert.ok(held.minimap, 'the minimap stays under the pointer');
  await page.mouse.move(box.x - 200, box.y - 300);
  await minimap.waitFor({ state: 'detached' });
  assert.deepEqual((await minimapOverlap()).covered, []);
  await page.getByRole('button', { name: 'Close block details' }).click();
});

test('the Minimap button shows and hides the minimap by keyboard, says its state, and M does the same', async () => {
  await node('load_yellow_taxi').click();
  await page.getByRole('button', { name: 'Canvas above' }).click();
  const button = page.getByRole('toolbar', { name: 'Canvas tools' }).getByRole('button', { name: 'Minimap' });
  const minimap = page.getByRole('img', { name: 'Minimap' });
  // Off by default in the short canvas above a block: the layout change settles the canvas's height first.
  await page
    .getByRole('toolbar', { name: 'Canvas tools' })
    .getByRole('button', { name: 'Minimap', pressed: false })
    .waitFor({ timeout: 5000 });
  await minimap.waitFor({ state: 'detached', timeout: 5000 });
  await button.focus();
  await page.keyboard.press('Enter');
  await minimap.waitFor();
  assert.equal(await button.getAttribute('aria-pressed'), 'true');
  await shot('shown-on-request');
  await page.keyboard.press('m');
  await minimap.waitFor({ state: 'detached' });
  assert.equal(await button.getAttribute('aria-pressed'), 'false');
  await page.getByRole('button', { name: 'Close block details' }).click();
});
