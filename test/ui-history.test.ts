import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { createTempProject, type TempProject } from './helpers/temp-project.ts';
import { openApp, closeSpecApp, type AppUnderTest } from './helpers/app.ts';
import { waitUntil } from './helpers/wait-until.ts';

const SCREENSHOTS = path.resolve('test-results');

let temp: TempProject;
let app: AppUnderTest;
let page: Page;
let failedRunId = '';

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  // Two outputs per block, so a past run's output can still be previewed from its page.
  temp = createTempProject({ retention: { outputs_keep_last: 2 } });
  temp.writeFile('blocks/numbers.sql', 'select range as n from range(10)\n');
  temp.writeFile('blocks/doubled.sql', 'select nope * 2 as twice from numbers\n');
  temp.writeFile('blocks/summary.sql', 'select count(*) as rows_seen from doubled\n');
  temp.writePipeline('p', {
    name: 'Numbers',
    blocks: [
      { id: 'numbers', type: 'source', kind: 'sql', file: 'blocks/numbers.sql' },
      { id: 'doubled', type: 'transform', kind: 'sql', file: 'blocks/doubled.sql', upstream: ['numbers'] },
      { id: 'summary', type: 'transform', kind: 'sql', file: 'blocks/summary.sql', upstream: ['doubled'] },
    ],
  });
  app = await openApp(temp.dir, { viewport: { width: 1400, height: 900 } });
  page = app.page;
});

after(() => closeSpecApp(app, temp));

const blockRow = (blockId: string) =>
  page.getByRole('table', { name: 'Blocks of this run' }).getByRole('row', { name: blockId, exact: true });

test('a failed run appears in the history, filterable by status, and opens with each block status, the error, a timeline and logs', async () => {
  await page.getByRole('button', { name: 'Run pipeline' }).click();
  await page.getByRole('status', { name: 'Run status' }).getByText('Run failed').waitFor({ timeout: 30_000 });
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: 'History' }).click();
  const runs = page.getByRole('table', { name: 'Runs' });
  await runs.getByText('failed', { exact: true }).waitFor();
  assert.equal(await runs.getByRole('row').count(), 2, 'a header and one run');

  await page.getByLabel('Status', { exact: true }).selectOption('succeeded');
  await page.getByText('No run matches these filters.').waitFor();
  await page.getByLabel('Status', { exact: true }).selectOption('');

  await runs.getByRole('link', { name: /^Run .* of p$/ }).click();
  failedRunId = decodeURIComponent(new URL(page.url()).hash.replace('#/runs/', ''));
  assert.match(failedRunId, /\S+/);
  await page.getByRole('status', { name: 'Status of this run' }).filter({ hasText: 'failed' }).waitFor();
  assert.match(await blockRow('numbers').innerText(), /succeeded\s+1\s+10/);
  assert.match(await blockRow('doubled').innerText(), /failed[\s\S]*nope/);
  assert.match(await blockRow('summary').innerText(), /upstream failed/);
  const timeline = page.getByRole('figure', { name: 'Timeline of block attempts' });
  await timeline.getByRole('img', { name: /^numbers attempt 1: succeeded/ }).waitFor();
  await timeline.getByRole('img', { name: /^doubled attempt 1: failed/ }).waitFor();
  assert.ok((await page.getByRole('region', { name: 'Logs of this run' }).getByRole('listitem').count()) > 0, 'the run has log lines');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'ui-history-1-failed-run.png') });
});

const dagNode = (blockId: string) =>
  page.getByRole('figure', { name: 'Graph of this run' }).getByRole('button', { name: blockId, exact: true });
const borderColourOf = (blockId: string) =>
  dagNode(blockId)
    .locator('.run-dag-node')
    .evaluate((el) => getComputedStyle(el).borderLeftColor);

test("the run's graph shows each block's final status: the failed block red, its downstream upstream-failed", async () => {
  await dagNode('summary').waitFor();
  assert.match(await dagNode('numbers').innerText(), /succeeded[\s\S]*10 rows/);
  assert.match(await dagNode('doubled').innerText(), /failed/);
  assert.match(await dagNode('summary').innerText(), /upstream failed/);
  const failedBadgeColour = await blockRow('doubled')
    .locator('.run-badge')
    .evaluate((el) => getComputedStyle(el).color);
  assert.equal(await borderColourOf('doubled'), failedBadgeColour, 'the failed block is drawn in the failure colour');
  assert.equal(await borderColourOf('summary'), failedBadgeColour, 'a block after the failure is drawn in the failure colour');
  assert.notEqual(await borderColourOf('numbers'), failedBadgeColour);
  const edges = page.getByRole('figure', { name: 'Graph of this run' }).locator('.react-flow__edge');
  assert.equal(await edges.count(), 2, 'numbers → doubled → summary');
  assert.equal(await page.getByRole('note').count(), 0, 'the pipeline is unchanged since the run');
});

test('clicking a node of the graph filters the logs to that block and marks its row', async () => {
  const logs = page.getByRole('region', { name: 'Logs of this run' });
  const blocksOfLines = () => logs.locator('.log-lines li .log-block').allInnerTexts();
  assert.ok((await blocksOfLines()).includes('numbers'), 'unfiltered, the log shows the numbers block');
  await dagNode('doubled').click();
  assert.equal(await logs.getByLabel('Block').inputValue(), 'doubled');
  await logs
    .locator('.log-lines li')
    .filter({ hasText: /failed: blocks\/doubled\.sql:1:\d+: .*nope/ })
    .waitFor();
  // The filtered lines replace the unfiltered ones when their fetch answers: wait for that, not for a line both show
  // (on timeout the assertion below says what was shown).
  const onlyDoubled = async () => [...new Set(await blocksOfLines())].join(',') === 'doubled';
  await waitUntil(onlyDoubled, { what: 'the log filtered to doubled' }).catch(() => undefined);
  assert.deepEqual([...new Set(await blocksOfLines())], ['doubled'], 'only the line that says why doubled failed');
  assert.equal(await blockRow('doubled').getAttribute('aria-current'), 'true');
  assert.equal(await blockRow('numbers').getAttribute('aria-current'), null);

  await dagNode('numbers').click();
  assert.equal(await logs.getByLabel('Block').inputValue(), 'numbers');
  await logs.locator('.log-lines').waitFor();
  const onlyNumbers = async () => {
    const blocks = await blocksOfLines();
    return blocks.length > 0 && blocks.every((b) => b === 'numbers');
  };
  await waitUntil(onlyNumbers, { what: 'the log filtered to numbers' }).catch(() => undefined);
  const shown = await blocksOfLines();
  assert.ok(shown.length > 0 && shown.every((b) => b === 'numbers'), `only lines of numbers, got ${shown.join(', ')}`);
  assert.equal(await blockRow('numbers').getAttribute('aria-current'), 'true');
  assert.equal(await blockRow('doubled').getAttribute('aria-current'), null);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'ui-history-1b-graph-filtered.png') });

  await logs.getByLabel('Block').selectOption('');
  assert.equal(await blockRow('numbers').getAttribute('aria-current'), null, 'choosing all blocks clears the mark');
});

test('the graph works from the keyboard: Enter on a focused node filters the logs to it, Escape clears', async () => {
  const logs = page.getByRole('region', { name: 'Logs of this run' });
  await dagNode('doubled').focus();
  await page.keyboard.press('Enter');
  await logs.locator('.log-lines li').filter({ hasText: 'failed:' }).waitFor();
  assert.equal(await logs.getByLabel('Block').inputValue(), 'doubled');
  assert.equal(await blockRow('doubled').getAttribute('aria-current'), 'true');
  await page.keyboard.press('Escape');
  await logs.locator('.log-lines').waitFor();
  assert.equal(await logs.getByLabel('Block').inputValue(), '');
  assert.equal(await blockRow('doubled').getAttribute('aria-current'), null);
});

test('"Retry failed blocks" runs only the failed block and those after it, and the fixed run succeeds', async () => {
  temp.writeFile('blocks/doubled.sql', 'select n * 2 as twice from numbers\n');
  await page.getByRole('button', { name: 'Retry failed blocks' }).click();
  await page.waitForFunction(
    (id) => window.location.hash.startsWith('#/runs/') && !window.location.hash.endsWith(encodeURIComponent(id)),
    failedRunId,
  );
  await page.getByRole('status', { name: 'Status of this run' }).filter({ hasText: 'succeeded' }).waitFor({ timeout: 30_000 });
  assert.match(await blockRow('doubled').innerText(), /succeeded\s+1\s+10/);
  assert.match(await blockRow('summary').innerText(), /succeeded\s+1\s+1/);
  assert.equal(await blockRow('numbers').count(), 0, 'the block that succeeded is not run again');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'ui-history-2-retried.png') });
});

test('#/runs/<runId> opens that run directly, and the list shows both runs', async () => {
  await page.evaluate((id) => (window.location.hash = `#/runs/${encodeURIComponent(id)}`), failedRunId);
  await page.getByRole('status', { name: 'Status of this run' }).filter({ hasText: 'failed' }).waitFor();
  await blockRow('numbers').waitFor();
  await page.getByRole('button', { name: 'Runs', exact: true }).click();
  const runs = page.getByRole('table', { name: 'Runs' });
  await runs.getByText('succeeded', { exact: true }).waitFor();
  assert.equal(await runs.getByRole('row').count(), 3);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'ui-history-3-list.png') });
});

test("a past run's output is previewed from its page while retention keeps it; a block without output has no Preview", async () => {
  temp.writeFile('blocks/numbers.sql', 'select range as n from range(3)\n');
  await page.evaluate((id) => (window.location.hash = `#/runs/${encodeURIComponent(id)}`), failedRunId);
  await page.getByRole('status', { name: 'Status of this run' }).filter({ hasText: 'failed' }).waitFor();
  await page.getByRole('button', { name: 'Re-run', exact: true }).click();
  await page.waitForFunction(
    (id) => window.location.hash.startsWith('#/runs/') && !window.location.hash.endsWith(encodeURIComponent(id)),
    failedRunId,
  );
  await page.getByRole('status', { name: 'Status of this run' }).filter({ hasText: 'succeeded' }).waitFor({ timeout: 30_000 });
  const rowsIn = async (runId: string | null, expected: string) => {
    if (runId) {
      await page.evaluate((id) => (window.location.hash = `#/runs/${encodeURIComponent(id)}`), runId);
      await page.getByRole('status', { name: 'Status of this run' }).filter({ hasText: 'failed' }).waitFor();
    }
    await page.getByRole('button', { name: 'Preview numbers as this run left it' }).click();
    const dialog = page.getByRole('dialog', { name: /^numbers as run r\S+ left it$/ });
    await dialog.getByRole('status', { name: 'Row count' }).getByText(expected).waitFor();
    return dialog;
  };
  const latest = await rowsIn(null, '3 rows · 1 column');
  await latest.getByRole('button', { name: 'Close' }).click();
  const past = await rowsIn(failedRunId, '10 rows · 1 column');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'ui-history-5-past-output.png') });
  await past.getByRole('button', { name: 'Close' }).click();
  assert.equal(
    await blockRow('doubled')
      .getByRole('button', { name: /Preview/ })
      .count(),
    0,
    'the failed block left no output',
  );
  await page.getByRole('button', { name: 'Runs', exact: true }).click();
});

test('a run whose pipeline.yaml has changed since is drawn from its recorded blocks, and the page says so', async () => {
  temp.writePipeline('p', {
    name: 'Numbers',
    blocks: [
      { id: 'numbers', type: 'source', kind: 'sql', file: 'blocks/numbers.sql' },
      { id: 'doubled', type: 'transform', kind: 'sql', file: 'blocks/doubled.sql', upstream: ['numbers'] },
      { id: 'summary', type: 'transform', kind: 'sql', file: 'blocks/summary.sql', upstream: ['doubled'] },
      { id: 'extra', type: 'transform', kind: 'sql', file: 'blocks/summary.sql', upstream: ['doubled'] },
    ],
  });
  await page.evaluate((id) => (window.location.hash = `#/runs/${encodeURIComponent(id)}`), failedRunId);
  await page.getByRole('note').filter({ hasText: 'has changed since this run' }).waitFor();
  await dagNode('summary').waitFor();
  assert.equal(await dagNode('extra').count(), 0, 'a block added after the run is not drawn');
  assert.match(await dagNode('doubled').innerText(), /failed/);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'ui-history-4-changed-pipeline.png') });
});
