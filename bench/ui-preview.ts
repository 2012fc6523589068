// The preview grid in Chromium through `pipewright serve`, over a 1.24M-row output: time from selecting the block
// to its first rows on screen (goal ≤ 200 ms), and from "go to row 1,000,000" to that row's cells (goal ≤ 300 ms).
// Both are measured inside the page (performance.now() around the action, polled every animation frame), so they
// include the API call, DuckDB, Arrow decoding and React's render. Run alone: node --import tsx bench/ui-preview.ts
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { createTempProject } from '../test/helpers/temp-project.ts';
import { ensureRendererBuilt } from '../test/helpers/browser.ts';
import { openServedApp } from '../test/helpers/app.ts';
import { runCli } from '../test/helpers/run-cli.ts';
import { armTimer, readTimer } from './paint-timer.ts';

const ROWS = 1_240_000;
const SAMPLES = 5;

/** Builds a project whose `trips` block outputs ROWS taxi-like rows, serves it, and prints the two latencies. */
export async function runUiPreviewSection(): Promise<void> {
  const temp = createTempProject();
  try {
    writeTripsPipeline(temp);
    const ran = await runCli(['run', 'preview_bench', '--project', temp.dir]);
    if (ran.code !== 0) throw new Error(`the bench pipeline failed:\n${ran.stderr}`);
    ensureRendererBuilt();
    const app = await openServedApp(temp.dir, { viewport: { width: 1400, height: 900 } });
    try {
      const { page } = app;
      await page.getByRole('button', { name: 'trips', exact: true }).waitFor();
      const select = await measureSelections(page);
      const jump = await measureJumps(page);
      console.log(`\npreview grid in Chromium (serve), ${ROWS.toLocaleString('en-US')}-row output, ${SAMPLES} samples each`);
      console.log(`  select block → first rows:  median ${median(select)} ms, max ${Math.max(...select).toFixed(0)} ms   (goal ≤ 200 ms)`);
      console.log(`  go to row 1,000,000 → rows: median ${median(jump)} ms, max ${Math.max(...jump).toFixed(0)} ms   (goal ≤ 300 ms)`);
    } finally {
      await app.close();
    }
  } finally {
    temp.cleanup();
  }
}

function writeTripsPipeline(temp: ReturnType<typeof createTempProject>): void {
  temp.writeFile('data/seed.csv', 'x\n1\n');
  temp.writeFile(
    'blocks/trips.sql',
    [
      "select i as trip_id, 1 + i % 2 as vendor_id, timestamp '2021-01-01' + to_seconds(i) as pickup_at,",
      "  (i % 6)::INTEGER as passengers, round((i % 997) / 37.0, 2) as distance, 'zone ' || (i % 263) as zone,",
      '  round(2.5 + (i % 4000) / 100.0, 2) as fare, i % 5 = 0 as is_cash',
      `from range(${ROWS}) t(i)`,
    ].join('\n'),
  );
  temp.writePipeline('preview_bench', {
    name: 'Preview bench',
    blocks: [
      { id: 'seed', type: 'source', kind: 'local_file', config: { path: 'data/seed.csv', format: 'csv' } },
      { id: 'trips', type: 'transform', kind: 'sql', file: 'blocks/trips.sql', upstream: ['seed'] },
    ],
  });
}

/** Clicks the `trips` node and times until the first row's cells hold values; `seed` is selected in between. */
async function measureSelections(page: Page): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    await page.getByRole('button', { name: 'seed', exact: true }).click();
    await page.getByRole('grid', { name: 'Preview of seed' }).locator('[role=gridcell]:not(.is-loading)').first().waitFor();
    const cell = '[aria-label="Preview of trips"] [aria-rowindex="2"] [role=gridcell]:not(.is-loading)';
    await armTimer(page, 'pointerdown', cell, true);
    await page.getByRole('button', { name: 'trips', exact: true }).click();
    samples.push(await readTimer(page));
  }
  return samples;
}

/** Enters a row number near 1,000,000 (a new one each time: nothing cached) and times until that row's cells hold values. */
async function measureJumps(page: Page): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const row = 1_000_000 + i * 10_000;
    const input = page.getByLabel('Go to row');
    await input.fill(String(row));
    await armTimer(page, 'keydown', `[aria-label="Preview of trips"] [aria-rowindex="${row + 1}"] [role=gridcell]:not(.is-loading)`, true);
    await input.press('Enter');
    samples.push(await readTimer(page));
  }
  return samples;
}

function median(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  return (sorted[Math.floor(sorted.length / 2)] ?? 0).toFixed(0);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await runUiPreviewSection();
