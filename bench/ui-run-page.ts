// A run page with 100,000 dynamic children in Chromium through `pipewright serve` (issue 18, goal 2: opens in ≤ 1 s,
// children paged). The run is written into a real history SQLite through the run store's own fold, in batched
// transactions (the engine's writes, minus the engine). Printed: the time from opening the run to its children's
// first page on screen (a click in the History list, and a cold load of `#/runs/<id>`), and what `runs.get` weighs and
// costs now (the overview + one page) against the whole run record it returned before, in the same process.
// Run alone: node --import tsx bench/ui-run-page.ts
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { RunStore } from '../main/history/run-store.ts';
import { createTempProject } from '../test/helpers/temp-project.ts';
import { ensureRendererBuilt } from '../test/helpers/browser.ts';
import { openServedApp } from '../test/helpers/app.ts';
import { recordFanOutRun, writeFanOutPipeline } from '../test/helpers/fan-out-history.ts';
import { armTimer, readTimer } from './paint-timer.ts';
import { applyRunEvent } from '../renderer/src/runs/apply-run-event.ts';
import { emptyRunState } from '../renderer/src/runs/use-run-state.ts';
import type { RunEvent } from '../main/model/run-events.ts';

const CHILDREN = Number(process.env.BENCH_CHILDREN ?? 100_000);
const SAMPLES = 5;
const RUN_ID = 'r_fanout';
const FIRST_ROW = '[aria-label="Children of each on this page"] tbody tr';

/** Writes the run, measures the API in-process, then the page in Chromium; prints each figure against its goal. */
export async function runUiRunPageSection(): Promise<void> {
  const temp = createTempProject();
  try {
    writeFanOutPipeline(temp, CHILDREN);
    const file = path.join(temp.dir, '.pipewright', 'history.sqlite');
    const store = RunStore.open(file);
    try {
      const t = performance.now();
      recordFanOutRun(store, {
        runId: RUN_ID,
        pipelineId: 'fanout',
        blocks: ['seed', 'items', 'each'],
        parent: 'each',
        children: CHILDREN,
        statusOf: (i) => (i % 97 === 13 ? 'failed' : 'succeeded'),
      });
      console.log(
        `\nrun page with ${CHILDREN.toLocaleString('en-US')} children: history written in ${((performance.now() - t) / 1000).toFixed(1)} s (batched transactions)`,
      );
      printApiFigures(store);
      printLiveFold();
    } finally {
      store.close();
    }
    ensureRendererBuilt();
    const app = await openServedApp(temp.dir, { viewport: { width: 1440, height: 900 } });
    try {
      const { page } = app;
      await page.getByRole('navigation', { name: 'Screens' }).waitFor();
      const clicks = await measureClicks(page);
      const loads = await measureColdLoads(page, new URL(app.url).origin);
      console.log(
        `  History list → run page, first page of children on screen: median ${median(clicks)} ms, max ${max(clicks)} ms   (goal ≤ 1000 ms)`,
      );
      console.log(
        `  cold load of #/runs/<id> → first page of children:        median ${median(loads)} ms, max ${max(loads)} ms   (goal ≤ 1000 ms)`,
      );
    } finally {
      await app.close();
    }
  } finally {
    temp.cleanup();
  }
}

/** `runs.get` before (the whole record, every child) and now (overview + the first page), alternated, medians of 3. */
function printApiFigures(store: RunStore): void {
  const before: number[] = [];
  const after: number[] = [];
  let sizes = { before: 0, after: 0 };
  for (let i = 0; i < 3; i++) {
    let t = performance.now();
    const whole = JSON.stringify({ run: store.getRun(RUN_ID) });
    before.push(performance.now() - t);
    t = performance.now();
    const overview = JSON.stringify({ run: store.getRunOverview(RUN_ID) });
    const page = JSON.stringify(store.listChildren(RUN_ID, 'each', { limit: 50 }));
    after.push(performance.now() - t);
    sizes = { before: whole.length, after: overview.length + page.length };
  }
  const lastPage: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    store.listChildren(RUN_ID, 'each', { beforeIndex: Number.MAX_SAFE_INTEGER, statuses: ['failed'], limit: 50 });
    lastPage.push(performance.now() - t);
  }
  console.log(
    `  runs.get before (every child): ${median(before)} ms, ${(sizes.before / 1e6).toFixed(1)} MB of JSON; now (overview + first page of 50): ${median(after, 2)} ms, ${(sizes.after / 1e3).toFixed(1)} kB   (${(sizes.before / sizes.after).toFixed(0)}× smaller)`,
  );
  console.log(`  runs.children, last page of failed children: ${median(lastPage, 2)} ms`);
}

/** The canvas's fold of a live fan-out's events (added, started, succeeded per child), as the window runs it. */
function printLiveFold(): void {
  const started: RunEvent = {
    type: 'run.started',
    runId: 'live',
    pipelineId: 'fanout',
    at: 0,
    scope: { kind: 'pipeline' },
    blocks: ['seed', 'items', 'each'],
    trigger: { kind: 'test' },
    variables: {},
    pipelineHash: '',
    codeHash: '',
  };
  let state = applyRunEvent({ ...emptyRunState(), runId: 'live' }, started);
  const t = performance.now();
  for (let index = 0; index < CHILDREN; index++) {
    const blockId = `each[${index}]`;
    state = applyRunEvent(state, { type: 'block.added', runId: 'live', blockId, parentId: 'each', index, at: 0 });
    state = applyRunEvent(state, { type: 'block.started', runId: 'live', blockId, attempt: 1, at: 0 });
    state = applyRunEvent(state, { type: 'block.succeeded', runId: 'live', blockId, attempt: 1, durationMs: 1, at: 0 });
  }
  const ms = performance.now() - t;
  console.log(
    `  live canvas fold of ${(CHILDREN * 3).toLocaleString('en-US')} child events: ${ms.toFixed(0)} ms (${((ms * 1000) / (CHILDREN * 3)).toFixed(1)} µs an event; rendered once per 100 ms, not per event)`,
  );
}

/** From the click on the run in the History list to the first child row on screen, back to the list in between. */
async function measureClicks(page: Page): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    await page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: 'History' }).click();
    const link = page.getByRole('link', { name: `Run ${RUN_ID} of fanout` });
    await link.waitFor();
    await armTimer(page, 'pointerdown', FIRST_ROW);
    await link.click();
    samples.push(await readTimer(page));
  }
  return samples;
}

/** A fresh page load of the run's address: from navigation start (performance.now()'s origin) to the first child row. */
async function measureColdLoads(page: Page, origin: string): Promise<number[]> {
  const samples: number[] = [];
  await page.addInitScript((selector) => {
    const w = window as { __pwVisibleAt?: number };
    const observer = new MutationObserver(() => {
      if (!document.querySelector(selector)?.textContent) return;
      observer.disconnect();
      requestAnimationFrame(() => (w.__pwVisibleAt = performance.now()));
    });
    document.addEventListener('DOMContentLoaded', () => observer.observe(document.body, { childList: true, subtree: true }));
  }, FIRST_ROW);
  for (let i = 0; i < SAMPLES; i++) {
    await page.goto('about:blank');
    await page.goto(`${origin}/#/runs/${RUN_ID}`);
    const handle = await page.waitForFunction(() => (window as { __pwVisibleAt?: number }).__pwVisibleAt, undefined, { timeout: 30_000 });
    samples.push(Number(await handle.jsonValue()));
  }
  return samples;
}

function median(values: number[], digits = 0): string {
  const sorted = [...values].sort((a, b) => a - b);
  return (sorted[Math.floor(sorted.length / 2)] ?? 0).toFixed(digits);
}

const max = (values: number[]) => Math.max(...values).toFixed(0);

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await runUiRunPageSection();
