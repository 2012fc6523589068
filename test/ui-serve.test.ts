import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { createTempProject, type TempProject } from './helpers/temp-project.ts';
import { startFileServer, type FileServer } from './helpers/http-server.ts';
import { openApp, type AppUnderTest } from './helpers/app.ts';

const ROWS = 1234;
const SCREENSHOTS = path.resolve('test-results');

let temp: TempProject;
let files: FileServer;
let app: AppUnderTest;
let page: Page;

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  files = await startFileServer();
  const lines = ['order_id,customer,amount,ordered_at'];
  for (let i = 1; i <= ROWS; i++)
    lines.push(`${i},customer ${i % 37},${(i * 1.25).toFixed(2)},2024-01-${String((i % 28) + 1).padStart(2, '0')} 10:00:00`);
  files.serve('/orders.csv', Buffer.from(lines.join('\n') + '\n'), { contentType: 'text/csv' });
  temp = createTempProject();
  temp.writeFile(
    'blocks/even_orders.sql',
    'select order_id, customer, amount * 2 as doubled, ordered_at\nfrom load_orders\nwhere order_id % 2 = 0\n',
  );
  temp.writePipeline('orders', {
    name: 'Orders',
    blocks: [
      { id: 'load_orders', type: 'source', kind: 'http_file', config: { url: `${files.url}/orders.csv`, format: 'csv' } },
      { id: 'even_orders', type: 'transform', kind: 'sql', file: 'blocks/even_orders.sql', upstream: ['load_orders'] },
    ],
  });
  app = await openApp(temp.dir, { viewport: { width: 1400, height: 900 } });
  page = app.page;
});

after(async () => {
  const code = await app?.close();
  await files?.close();
  temp?.cleanup();
  assert.equal(code, 0, `the app should stop cleanly:\n${app?.output()}`);
});

test('opens the UI from the printed URL and shows the pipeline as nodes named after its blocks', async () => {
  assert.equal(new URL(page.url()).search, '', 'the token leaves the address bar');
  await page.getByRole('button', { name: 'load_orders', exact: true }).waitFor();
  await page.getByRole('button', { name: 'even_orders', exact: true }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'orders', exact: true }).getAttribute('aria-current'), 'page');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'ui-1-canvas-before-run.png') });
});

test('runs the pipeline from the toolbar and shows every node succeeded with its rows', async () => {
  await page.getByRole('button', { name: 'Run pipeline' }).click();
  for (const block of ['load_orders', 'even_orders']) {
    await page.getByRole('button', { name: block, exact: true }).getByText('succeeded').waitFor({ timeout: 20_000 });
  }
  await page.getByRole('status', { name: 'Run status' }).getByText('Run succeeded').waitFor();
  const evenNode = await page.getByRole('button', { name: 'even_orders', exact: true }).innerText();
  assert.match(evenNode, new RegExp(`${(ROWS / 2).toLocaleString('en-US')} rows`));
  assert.ok((await page.getByRole('region', { name: 'Run log' }).innerText()).length > 0);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'ui-2-canvas-after-run.png') });
});

test('selecting a block previews its output with column types, and scrolling reaches the last row', async () => {
  await page.getByRole('button', { name: 'even_orders', exact: true }).click();
  const grid = page.getByRole('grid', { name: 'Preview of even_orders' });
  await grid.waitFor();
  await page
    .getByRole('status', { name: 'Row count' })
    .getByText(`${(ROWS / 2).toLocaleString('en-US')} rows`)
    .waitFor();
  assert.equal(await grid.getAttribute('aria-rowcount'), String(ROWS / 2 + 1));
  const headers = await grid.getByRole('columnheader').allInnerTexts();
  assert.deepEqual(
    headers.map((h) => h.replace(/\s+/g, ' ').trim()),
    ['#', 'order_id BIGINT', 'customer VARCHAR', 'doubled DOUBLE', 'ordered_at TIMESTAMP'],
  );
  await page.screenshot({ path: path.join(SCREENSHOTS, 'ui-3-preview-top.png') });

  await grid.evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
  const lastRow = grid.locator(`[role=row][aria-rowindex="${ROWS / 2 + 1}"]`);
  await lastRow.getByRole('gridcell').first().getByText(ROWS.toLocaleString('en-US'), { exact: true }).waitFor();
  const cells = await lastRow.getByRole('gridcell').allInnerTexts();
  assert.deepEqual(cells, [
    ROWS.toLocaleString('en-US'),
    `customer ${ROWS % 37}`,
    (ROWS * 1.25 * 2).toLocaleString('en-US'),
    '2024-01-03 10:00:00',
  ]);
  assert.ok((await grid.getByRole('row').count()) < 100, 'only the visible rows are in the DOM');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'ui-4-preview-last-row.png') });
});

test('shows the block SQL code in the editor', async () => {
  await page.getByRole('tab', { name: 'Code', exact: true }).click();
  const editor = page.getByLabel('Block code');
  await editor.getByText('where order_id % 2 = 0').waitFor();
  assert.match(await editor.innerText(), /from load_orders/);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'ui-5-config.png') });
});
