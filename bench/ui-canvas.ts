// The canvas in Chromium through `pipewright serve`: load to interactive (first node and palette on screen) for a
// small and a 300-block pipeline, and animation frames counted during a scripted node drag and a pane pan of the
// 300-block one (goal ≥ 30 fps). Frames are counted inside the page with requestAnimationFrame while Playwright
// moves the mouse, so they include React Flow's render of every move. Skipped when Chromium is not installed.
// Run alone: node --import tsx bench/ui-canvas.ts
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { createTempProject, type TempProject } from '../test/helpers/temp-project.ts';
import { CHROMIUM_PATH, ensureRendererBuilt, launchChromium, startServe } from '../test/helpers/browser.ts';

const BLOCKS = 300;
const CHAINS = 30;

/** Serves a project with a 3-block and a 300-block pipeline and prints load, drag and pan figures. */
export async function runUiCanvasSection(): Promise<void> {
  if (!existsSync(CHROMIUM_PATH)) {
    console.log(`\ncanvas in Chromium: skipped (no Chromium at ${CHROMIUM_PATH})`);
    return;
  }
  const temp = createTempProject();
  try {
    writePipelines(temp);
    ensureRendererBuilt();
    const serve = await startServe(temp.dir);
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const small = await loadToInteractive(page, serve.url, 'a_small', 'load');
      await page.getByRole('button', { name: 'b_large', exact: true }).click();
      const largeStart = performance.now();
      await page.getByRole('button', { name: `c${CHAINS - 1}_s${BLOCKS / CHAINS - 1}`, exact: true }).waitFor();
      const largeMs = performance.now() - largeStart;
      const nodes = await page.locator('.react-flow__node').count();
      const drag = await countFrames(page, 'node');
      const pan = await countFrames(page, 'pane');
      console.log(`\ncanvas in Chromium (serve)`);
      console.log(`  load → first node and palette (3 blocks): ${small.toFixed(0)} ms`);
      console.log(`  switch to the ${BLOCKS}-block pipeline → all nodes drawn: ${largeMs.toFixed(0)} ms (${nodes} nodes in the DOM)`);
      console.log(`  drag a node for ${drag.seconds.toFixed(1)} s: ${drag.fps.toFixed(0)} fps (${drag.frames} frames)   (goal ≥ 30 fps)`);
      console.log(`  pan the canvas for ${pan.seconds.toFixed(1)} s: ${pan.fps.toFixed(0)} fps (${pan.frames} frames)   (goal ≥ 30 fps)`);
    } finally {
      await browser.close();
      await serve.stop();
    }
  } finally {
    temp.cleanup();
  }
}

/** Milliseconds from navigation to the pipeline's first node and the palette being on screen. */
async function loadToInteractive(page: Page, url: string, pipeline: string, firstBlock: string): Promise<number> {
  const start = performance.now();
  await page.goto(url);
  await page.getByRole('button', { name: pipeline, exact: true }).waitFor();
  await page.getByRole('button', { name: firstBlock, exact: true }).waitFor();
  await page.getByRole('button', { name: 'Add SQL (DuckDB)' }).waitFor();
  return performance.now() - start;
}

/** Drags a node (or the pane) in small steps for about two seconds while the page counts animation frames. */
async function countFrames(page: Page, what: 'node' | 'pane'): Promise<{ frames: number; seconds: number; fps: number }> {
  const target = what === 'node' ? page.getByRole('button', { name: 'c0_s0', exact: true }) : page.locator('.react-flow__pane');
  const box = await target.boundingBox();
  if (!box) throw new Error(`the ${what} is not on screen`);
  const from = what === 'node' ? { x: box.x + box.width / 2, y: box.y + box.height / 2 } : { x: box.x + box.width - 40, y: box.y + 40 };
  // A string, not a function: tsx would wrap a named function in a helper the page does not have.
  await page.evaluate(`(() => {
    window.benchFrames = 0;
    window.isCounting = true;
    const tick = () => { window.benchFrames++; if (window.isCounting) requestAnimationFrame(tick); };
    requestAnimationFrame(tick);
  })()`);
  const start = performance.now();
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  for (let i = 1; i <= 120; i++) await page.mouse.move(from.x - i * 3, from.y + Math.sin(i / 10) * 60);
  await page.mouse.up();
  const seconds = (performance.now() - start) / 1000;
  const frames = Number(await page.evaluate('window.isCounting = false, window.benchFrames'));
  return { frames, seconds, fps: frames / seconds };
}

/** `a_small`: source → SQL → export; `b_large`: 30 chains of a source and 9 SQL blocks (300 blocks, no layout.json). */
function writePipelines(temp: TempProject): void {
  temp.writeFile('blocks/small_sql.sql', 'select * from "load"\n');
  temp.writePipeline('a_small', {
    blocks: [
      { id: 'load', type: 'source', kind: 'http_file', config: { url: 'https://example.com/a.csv' } },
      { id: 'small_sql', type: 'transform', kind: 'sql', file: 'blocks/small_sql.sql', upstream: ['load'] },
      { id: 'out', type: 'export', kind: 'local_file', upstream: ['small_sql'], config: { path: 'exports/out.parquet' } },
    ],
  });
  const blocks: Record<string, unknown>[] = [];
  const perChain = BLOCKS / CHAINS;
  for (let c = 0; c < CHAINS; c++) {
    blocks.push({ id: `c${c}_s0`, type: 'source', kind: 'http_file', config: { url: `https://example.com/${c}.csv` } });
    for (let s = 1; s < perChain; s++) {
      const id = `c${c}_s${s}`;
      const upstream = [`c${c}_s${s - 1}`, ...(s === perChain - 1 && c > 0 ? [`c${c - 1}_s${s - 1}`] : [])];
      temp.writeFile(`blocks/${id}.sql`, `select * from "${upstream[0]}"\n`);
      blocks.push({ id, type: 'transform', kind: 'sql', file: `blocks/${id}.sql`, upstream });
    }
  }
  temp.writePipeline('b_large', { blocks });
}

if (process.argv[1] === fileURLToPath(import.meta.url) || process.argv[1] === path.resolve('bench/ui-canvas.ts')) {
  await runUiCanvasSection();
}
