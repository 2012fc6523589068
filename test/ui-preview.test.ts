import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { createTempProject, type TempProject } from './helpers/temp-project.ts';
import { revealNode } from './helpers/canvas-view.ts';
import { openApp, closeSpecApp, type AppUnderTest } from './helpers/app.ts';
import { runCli } from './helpers/run-cli.ts';

const SCREENSHOTS = path.resolve('test-results');
const MANY_ROWS = 10_500_000;
const WIDE_COLUMNS = 500;
const HUGE_CHARS = 10 * 1024 * 1024;

let temp: TempProject;
let app: AppUnderTest;
let page: Page;

/** Blocks whose outputs stress the grid: sorting/filtering material, 500 columns, a 10 MB cell, bytes and structs, 10.5M rows. */
function writeShapesPipeline(project: TempProject): void {
  const wideColumns = Array.from({ length: WIDE_COLUMNS }, (_, c) => `i + ${c} as c${c}`).join(', ');
  const blocks: Record<string, string> = {
    numbers:
      "select i as id, i % 7 as bucket, case when i % 5 = 0 then null else 'name ' || (i % 13) end as label, i * 1.5 as amount, i / 7 as ratio\nfrom range(1, 2001) t(i)\n",
    wide: `select ${wideColumns}\nfrom range(100) t(i)\n`,
    huge: `select 1 as id, repeat('x', ${HUGE_CHARS}) as big, 'after' as tail\nunion all select 2, 'short', 'after'\n`,
    blobs:
      "select i as id, encode('hello ' || i) as payload, {'a': i, 'b': [i, i + 1], 'c': {'d': 'x'}} as nested\nfrom range(1, 4) t(i)\n",
    many: `select i as id\nfrom range(${MANY_ROWS}) t(i)\n`,
  };
  for (const [id, sql] of Object.entries(blocks)) project.writeFile(`blocks/${id}.sql`, sql);
  // Transforms need an upstream; these generate their rows and only hang off a one-row seed.
  project.writeFile('data/seed.csv', 'x\n1\n');
  const seed = { id: 'seed', type: 'source', kind: 'local_file', config: { path: 'data/seed.csv', format: 'csv' } };
  project.writePipeline('shapes', {
    name: 'Shapes',
    blocks: [
      seed,
      ...Object.keys(blocks).map((id) => ({ id, type: 'transform', kind: 'sql', file: `blocks/${id}.sql`, upstream: ['seed'] })),
    ],
  });
}

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  temp = createTempProject();
  writeShapesPipeline(temp);
  const ran = await runCli(['run', 'shapes', '--project', temp.dir]);
  assert.equal(ran.code, 0, `the pipeline should run:\n${ran.stdout}\n${ran.stderr}`);
  app = await openApp(temp.dir, { viewport: { width: 1400, height: 900 } });
  page = app.page;
});

after(() => closeSpecApp(app, temp));

async function openBlock(blockId: string) {
  await revealNode(page, blockId);
  await page.getByRole('button', { name: blockId, exact: true }).click();
  const grid = page.getByRole('grid', { name: `Preview of ${blockId}` });
  await grid.waitFor();
  return grid;
}

async function sortBy(grid: ReturnType<Page['getByRole']>, column: string): Promise<void> {
  await grid
    .getByRole('columnheader', { name: new RegExp(`^${column} `) })
    .getByRole('button')
    .click();
  await grid.locator(`[role=columnheader][aria-sort=ascending]`).waitFor();
}

function firstCells(grid: ReturnType<Page['getByRole']>) {
  return grid.locator('[role=row][aria-rowindex="2"] [role=gridcell]').allInnerTexts();
}

test('clicking a column header sorts in DuckDB: ascending, then descending', async () => {
  const grid = await openBlock('numbers');
  await page.getByRole('status', { name: 'Row count' }).getByText('2,000 rows').waitFor();
  const amount = grid.getByRole('columnheader', { name: /amount/ });
  await amount.getByRole('button').click();
  await page.waitForFunction(() => document.querySelector('[role=columnheader][aria-sort=ascending]') !== null);
  await amount.getByRole('button').click();
  await grid.locator('[role=row][aria-rowindex="2"] [role=gridcell]').first().getByText('2,000', { exact: true }).waitFor();
  assert.equal(await amount.getAttribute('aria-sort'), 'descending');
  assert.deepEqual(await firstCells(grid), ['2,000', String(2000 % 7), 'NULL', '3,000.0', '285.7143']);
  // Numbers are grouped, rounded and right-aligned; the rounded float keeps its exact value on hover.
  const ratio = grid.locator('[role=row][aria-rowindex="2"] [role=gridcell][aria-colindex="6"]');
  assert.equal(await ratio.getAttribute('title'), String(2000 / 7));
  assert.equal(await ratio.evaluate((el) => getComputedStyle(el).textAlign), 'right');
  const label = grid.locator('[role=row][aria-rowindex="2"] [role=gridcell][aria-colindex="4"]');
  assert.notEqual(await label.evaluate((el) => getComputedStyle(el).textAlign), 'right', 'text stays left-aligned');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'preview-1-sorted.png') });
});

test('the filter box pushes a WHERE down: the count and the rows follow it, and a bad filter says why', async () => {
  const filter = page.getByLabel('Filter rows (SQL WHERE)');
  await filter.fill('bucket = 3 and id < 100');
  await filter.press('Enter');
  await page.getByRole('status', { name: 'Row count' }).getByText('14 rows').waitFor();
  const grid = page.getByRole('grid', { name: 'Preview of numbers' });
  // Still sorted by amount, descending: the largest id under 100 with id % 7 = 3 comes first.
  await grid.locator('[role=row][aria-rowindex="2"] [role=gridcell]').first().getByText('94', { exact: true }).waitFor();

  await filter.fill('no_such_column > 1');
  await filter.press('Enter');
  const alert = page.getByRole('alert').filter({ hasText: 'The filter failed' });
  await alert.waitFor();
  assert.match(await alert.innerText(), /no_such_column/);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'preview-2-filter-error.png') });
  await filter.fill('');
  await filter.press('Enter');
  await page.getByRole('status', { name: 'Row count' }).getByText('2,000 rows').waitFor();
});

test("the profile row shows each column's nulls, distinct count and histogram", async () => {
  await page.getByRole('button', { name: 'Profile', exact: true }).click();
  const label = page.getByRole('gridcell', { name: /^Profile of label:/ });
  await label.waitFor();
  const text = await label.innerText();
  assert.match(text, /400 nulls/);
  const distinct = Number(/([\d,]+) distinct/.exec(text)?.[1]?.replace(/,/g, ''));
  assert.ok(Math.abs(distinct - 13) <= 1, `about 13 distinct labels, got ${distinct}`);
  assert.match(await page.getByRole('gridcell', { name: /^Profile of id:/ }).innerText(), /0 nulls/);
  assert.ok(
    (await page
      .getByRole('gridcell', { name: /^Profile of bucket:/ })
      .locator('svg rect')
      .count()) >= 1,
    'a histogram is drawn',
  );
  await page.screenshot({ path: path.join(SCREENSHOTS, 'preview-3-profile.png') });
  await page.getByRole('button', { name: 'Profile', exact: true }).click();
});

test('the quick chart aggregates a column in DuckDB: one bar per bucket', async () => {
  await page.getByRole('button', { name: 'Chart', exact: true }).click();
  const chart = page.getByRole('region', { name: 'Quick chart' });
  await chart.getByLabel('Chart column').selectOption('bucket');
  const bars = chart.getByRole('img', { name: 'bar of bucket' });
  await bars.waitFor();
  assert.equal(await bars.locator('rect').count(), 7);
  await chart.getByLabel('Chart type').selectOption('histogram');
  await chart.getByRole('img', { name: 'histogram of bucket' }).waitFor();
  await page.screenshot({ path: path.join(SCREENSHOTS, 'preview-4-chart.png') });
  await page.getByRole('button', { name: 'Chart', exact: true }).click();
});

test('a 500-column output keeps only the columns in view in the DOM and scrolls to the last one', async () => {
  const grid = await openBlock('wide');
  await page.getByRole('status', { name: 'Row count' }).getByText(`100 rows · ${WIDE_COLUMNS} columns`).waitFor();
  assert.equal(await grid.getAttribute('aria-colcount'), String(WIDE_COLUMNS + 1));
  assert.ok((await grid.getByRole('columnheader').count()) < 40, 'headers are windowed too');
  await grid.evaluate((el) => el.scrollTo({ left: el.scrollWidth }));
  await grid.getByRole('columnheader', { name: /^c499 / }).waitFor();
  const lastCell = grid.locator(`[role=row][aria-rowindex="2"] [role=gridcell][aria-colindex="${WIDE_COLUMNS + 1}"]`);
  // c499 = i + 499 for some i in 0..99 (outputs keep no particular row order).
  const value = Number(await lastCell.innerText());
  assert.ok(value >= 499 && value <= 598, `c499 of the first row, got ${value}`);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'preview-5-wide.png') });
});

test('a 10 MB text cell is clipped in the grid and opens in full on demand', async () => {
  const grid = await openBlock('huge');
  await sortBy(grid, 'id');
  const big = grid.locator('[role=row][aria-rowindex="2"] [role=gridcell][aria-colindex="3"]');
  await big.waitFor();
  const shown = await big.innerText();
  assert.ok(shown.length <= 301 && shown.startsWith('xxxx'), `the cell is clipped, got ${shown.length} characters`);
  await big.dblclick();
  const dialog = page.getByRole('dialog', { name: 'Value of big in row 1' });
  await dialog.getByText(`${HUGE_CHARS.toLocaleString()} characters`).waitFor({ timeout: 20_000 });
  await page.screenshot({ path: path.join(SCREENSHOTS, 'preview-6-huge-cell.png') });
  await dialog.getByRole('button', { name: 'Close' }).click();
  assert.equal(await grid.locator('[role=row][aria-rowindex="3"] [role=gridcell][aria-colindex="3"]').innerText(), 'short');
});

test('binary cells show hex and size, nested structs show as JSON text', async () => {
  const grid = await openBlock('blobs');
  await sortBy(grid, 'id');
  const cells = grid.locator('[role=row][aria-rowindex="2"] [role=gridcell]');
  await cells.first().getByText('1', { exact: true }).waitFor();
  await cells.nth(2).waitFor(); // the row's cells may arrive a frame after its first
  const [, payload, nested] = await cells.allInnerTexts();
  assert.equal(payload, `0x${Buffer.from('hello 1').toString('hex')} (7 bytes)`);
  assert.equal(nested, '{"a":1,"b":[1,2],"c":{"d":"x"}}');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'preview-7-binary-struct.png') });
});

test('10.5M rows: the scroll space is scaled under the browser cap and the last row is reachable', async () => {
  const grid = await openBlock('many');
  await page.getByRole('status', { name: 'Row count' }).getByText('10,500,000 rows').waitFor();
  const scrollHeight = await grid.evaluate((el) => el.scrollHeight);
  assert.ok(scrollHeight < 16_000_000, `scroll height ${scrollHeight} stays under Chromium's cap`);
  await grid.evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
  // Outputs keep no particular row order: the last row is there once its cell holds an id.
  const last = grid.locator(`[role=row][aria-rowindex="${MANY_ROWS + 1}"]`);
  await last.locator('[role=gridcell]:not(.is-loading)').first().waitFor();
  assert.equal(await last.getByRole('rowheader').innerText(), String(MANY_ROWS));
  assert.match(await last.getByRole('gridcell').first().innerText(), /^\d{1,3}(,\d{3})*$/);
  assert.ok(
    await last.evaluate(
      (row) => row.getBoundingClientRect().bottom <= (row.closest('[role=grid]')?.getBoundingClientRect().bottom ?? 0) + 1,
    ),
    'the last row is in view',
  );
  await page.screenshot({ path: path.join(SCREENSHOTS, 'preview-8-last-of-10m.png') });

  await page.getByLabel('Go to row').fill('5000000');
  await page.getByLabel('Go to row').press('Enter');
  await grid.locator('[role=row][aria-rowindex="5000001"] [role=gridcell]:not(.is-loading)').first().waitFor();
  const top = await grid.evaluate(
    (el) => el.querySelector('[aria-rowindex="5000001"]')!.getBoundingClientRect().top - el.getBoundingClientRect().top,
  );
  assert.ok(top >= 0 && top < 200, `row 5,000,000 is near the top of the view (${top} px)`);

  // A wheel tick in the scaled space moves by rows, not by (scale × pixels): 240 px down is 10 rows down.
  await grid.hover();
  await page.mouse.wheel(0, 240);
  const tenBelow = grid.locator('[role=row][aria-rowindex="5000011"]');
  await tenBelow.locator('[role=gridcell]:not(.is-loading)').first().waitFor();
  const offset = await tenBelow.evaluate((row) => {
    const head = row.closest('[role=grid]')?.querySelector('.grid-head')?.getBoundingClientRect().bottom ?? 0;
    return row.getBoundingClientRect().top - head;
  });
  assert.ok(Math.abs(offset) < 24, `row 5,000,010 is now the top row (${offset} px below the header)`);

  // The keyboard moves by rows too: End shows the last row, Home the first, ArrowDown one row at a time.
  await grid.focus();
  await page.keyboard.press('End');
  await grid
    .locator(`[role=row][aria-rowindex="${MANY_ROWS + 1}"] [role=gridcell]:not(.is-loading)`)
    .first()
    .waitFor();
  await page.keyboard.press('Home');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  const third = grid.locator('[role=row][aria-rowindex="4"]');
  await third.locator('[role=gridcell]:not(.is-loading)').first().waitFor();
  const thirdOffset = await third.evaluate(
    (row) =>
      row.getBoundingClientRect().top - (row.closest('[role=grid]')?.querySelector('.grid-head')?.getBoundingClientRect().bottom ?? 0),
  );
  assert.ok(Math.abs(thirdOffset) < 24, `row 3 is the top row after Home and two ArrowDowns (${thirdOffset} px)`);
});

test('the SQL console runs a query over the workspace and marks a failing query at its line', async () => {
  await page.getByRole('tab', { name: 'SQL console' }).click();
  const editor = page.getByLabel('SQL console query');
  await editor.waitFor();
  await page.getByRole('complementary', { name: 'Workspace tables' }).getByRole('button', { name: 'shapes.numbers' }).waitFor();
  await editor.click();
  await page.keyboard.type('select bucket, count(*) as n from "shapes"."numbers" group by 1 order by 1');
  await page.keyboard.press('Control+Enter');
  await page.getByRole('status', { name: 'Query row count' }).getByText('7 rows').waitFor();
  const result = page.getByRole('grid', { name: 'Query result' });
  assert.deepEqual(await result.locator('[role=row][aria-rowindex="2"] [role=gridcell]').allInnerTexts(), [
    '0',
    String(Math.floor(2000 / 7)),
  ]);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'preview-9-console.png') });

  await page.keyboard.press('Control+a');
  await page.keyboard.type('select id,\n  no_such_column\nfrom "shapes"."numbers"');
  await page.keyboard.press('Control+Enter');
  await page.getByRole('alert', { name: 'Query error' }).waitFor();
  const marked = page.locator('.cm-content .cm-line').nth(1).locator('.cm-lintRange-error');
  await marked.waitFor();
  assert.match(await marked.innerText(), /no_such_column/);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'preview-10-console-error.png') });
});
