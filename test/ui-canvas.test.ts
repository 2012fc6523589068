import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { createTempProject, type TempProject } from './helpers/temp-project.ts';
import { startFileServer, type FileServer } from './helpers/http-server.ts';
import { openApp, serveOnly, type AppUnderTest } from './helpers/app.ts';

const ROWS = 2345;
const SCREENSHOTS = path.resolve('test-results');

let temp: TempProject;
let files: FileServer;
let app: AppUnderTest;
let page: Page;
const pageErrors: string[] = [];

const node = (p: Page, name: string) => p.getByRole('button', { name, exact: true });
const pipelineFile = () => readFileSync(path.join(temp.dir, 'pipelines/orders/pipeline.yaml'), 'utf8');

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  files = await startFileServer();
  const lines = ['order_id,customer,amount'];
  for (let i = 1; i <= ROWS; i++) lines.push(`${i},customer ${i % 41},${(i * 0.5).toFixed(2)}`);
  files.serve('/orders.csv', Buffer.from(lines.join('\n') + '\n'), { contentType: 'text/csv' });
  temp = createTempProject();
  app = await openApp(temp.dir, { viewport: { width: 1400, height: 900 } });
  page = app.page;
  page.on('pageerror', (error) => pageErrors.push(error.message));
});

after(async () => {
  await page?.screenshot({ path: path.join(SCREENSHOTS, 'canvas-last.png') });
  const code = await app?.close();
  await files?.close();
  temp?.cleanup();
  assert.equal(code, 0, `the app should stop cleanly:\n${app?.output()}`);
});

/** Accepts the name the add dialog proposes (it opens with a free default, selected). */
async function acceptName(p: Page, kindTitle: string): Promise<void> {
  const dialog = p.getByRole('dialog', { name: `Add ${kindTitle}` });
  await dialog.getByLabel('Block name').waitFor();
  await dialog.getByRole('button', { name: 'Add block' }).click();
  await dialog.waitFor({ state: 'detached' });
}

/** Opens a block's menu, edits its name and config JSON in the dialog, and waits for the renamed node. */
async function editBlock(p: Page, name: string, newName: string, config: Record<string, unknown>): Promise<void> {
  await node(p, name).click({ button: 'right' });
  await p.getByRole('menuitem', { name: 'Edit config…' }).click();
  const dialog = p.getByRole('dialog', { name: `Edit block ${name}` });
  await dialog.getByLabel('Block name').fill(newName);
  await dialog.getByLabel('Config JSON').fill(JSON.stringify(config));
  await dialog.getByRole('button', { name: 'Save' }).click();
  await node(p, newName).waitFor();
}

test('a new user builds HTTP CSV → SQL → Parquet from the palette, runs it and sees every block succeed', async () => {
  await page.getByRole('button', { name: 'New pipeline' }).click();
  await page.getByLabel('New pipeline id').fill('orders');
  await page.getByLabel('New pipeline id').press('Enter');
  await page.getByText('An empty pipeline').waitFor();
  await page.screenshot({ path: path.join(SCREENSHOTS, 'canvas-1-empty-pipeline.png') });

  await page.getByRole('button', { name: 'Add File over HTTP (CSV, Parquet, JSON)' }).dblclick();
  await acceptName(page, 'File over HTTP (CSV, Parquet, JSON)');
  await node(page, 'http_file').waitFor();
  assert.match(pipelineFile(), /- id: http_file\n\s+type: source\n\s+kind: http_file/);
  await editBlock(page, 'http_file', 'load_orders', { url: `${files.url}/orders.csv`, format: 'csv' });

  await node(page, 'load_orders').click();
  await page.getByRole('button', { name: 'Add SQL (DuckDB)' }).dblclick();
  await acceptName(page, 'SQL (DuckDB)');
  await node(page, 'sql').waitFor();
  assert.equal(
    readFileSync(path.join(temp.dir, 'blocks/sql.sql'), 'utf8'),
    '-- sql: upstream blocks are tables named by their ids\nselect *\nfrom "load_orders"\n',
  );

  await node(page, 'sql').click();
  const exportItem = page.getByRole('button', { name: 'Add Local file (Parquet, CSV)' });
  await exportItem.focus();
  await exportItem.press('Enter');
  await acceptName(page, 'Local file (Parquet, CSV)');
  await node(page, 'local_file').waitFor();
  assert.match(
    pipelineFile(),
    /- id: local_file\n\s+type: export\n\s+kind: local_file\n\s+upstream: \[sql\]\n\s+config:\n\s+path: exports\/local_file.parquet/,
  );
  await page.screenshot({ path: path.join(SCREENSHOTS, 'canvas-2-built.png') });

  await page.getByRole('button', { name: 'Run pipeline' }).click();
  for (const block of ['load_orders', 'sql', 'local_file']) {
    await node(page, block).getByText('succeeded').waitFor({ timeout: 30_000 });
  }
  assert.match(await node(page, 'sql').innerText(), new RegExp(`${ROWS.toLocaleString('en-US')} rows`));
  assert.ok(existsSync(path.join(temp.dir, 'exports/local_file.parquet')), 'the export wrote its Parquet file');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'canvas-3-after-run.png') });
});

test('selecting the SQL block previews all its rows down to the last one', async () => {
  await node(page, 'sql').click();
  const grid = page.getByRole('grid', { name: /sql/ });
  await grid.waitFor();
  await page
    .getByRole('status', { name: 'Row count' })
    .getByText(`${ROWS.toLocaleString('en-US')} rows`)
    .waitFor();
  await grid.evaluate((el) => el.scrollTo({ top: el.scrollHeight }));
  const lastRow = grid.locator(`[role=row][aria-rowindex="${ROWS + 1}"]`);
  await lastRow.getByRole('gridcell').first().getByText(ROWS.toLocaleString('en-US'), { exact: true }).waitFor();
  await page.screenshot({ path: path.join(SCREENSHOTS, 'canvas-4-preview-last-row.png') });
  await page.getByRole('button', { name: 'Close block details' }).click();
});

test('a connection that would close a cycle is refused with the engine reason, and nothing is written', async () => {
  await node(page, 'sql').click();
  await page.getByRole('button', { name: 'Close block details' }).click();
  await page.getByRole('button', { name: 'Add SQL (DuckDB)' }).dblclick();
  await acceptName(page, 'SQL (DuckDB)');
  await node(page, 'sql_2').waitFor();
  const before = pipelineFile();
  await dragBetween(page, page.getByLabel('Output of sql_2', { exact: true }), page.getByLabel('Input of sql', { exact: true }));
  await page
    .getByRole('alert', { name: 'Edit status' })
    .getByText(/cycle between blocks: .*sql_2/)
    .waitFor();
  assert.equal(pipelineFile(), before);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'canvas-5-cycle-refused.png') });
});

test('undo restores a deleted block in pipeline.yaml and on the canvas', async () => {
  await node(page, 'sql_2').click();
  await page.keyboard.press('Delete');
  await node(page, 'sql_2').waitFor({ state: 'detached' });
  assert.doesNotMatch(pipelineFile(), /sql_2/);
  await page.keyboard.press('Control+z');
  await node(page, 'sql_2').waitFor();
  assert.match(pipelineFile(), /- id: sql_2\n\s+type: transform\n\s+kind: sql\n\s+file: blocks\/sql_2.sql\n\s+upstream: \[sql\]/);
  await page.keyboard.press('Control+Shift+z');
  await node(page, 'sql_2').waitFor({ state: 'detached' });
  assert.doesNotMatch(pipelineFile(), /sql_2/);
});

test('a pipeline.yaml edited in another editor appears on the canvas within about a second', async (t) => {
  const edited = pipelineFile().replace(
    /\nblocks:\n/,
    '\nblocks:\n  - id: extra_source\n    type: source\n    kind: http_file\n    config:\n      url: https://example.com/extra.csv\n',
  );
  const started = Date.now();
  writeFileSync(path.join(temp.dir, 'pipelines/orders/pipeline.yaml'), edited);
  await node(page, 'extra_source').waitFor({ timeout: 5000 });
  // Reported, not asserted (machines under load vary): the watcher's debounce is 150 ms, the rest is the reload.
  t.diagnostic(`the edit appeared on the canvas ${Date.now() - started} ms after the write`);
});

test('a pipeline.yaml broken on disk shows its error with the line, and the canvas returns once it is fixed', async () => {
  const good = pipelineFile();
  const file = path.join(temp.dir, 'pipelines/orders/pipeline.yaml');
  writeFileSync(file, good.replace('kind: sql', 'kind: sql\n   bad: [indent'));
  await page
    .getByRole('alert')
    .getByText(/pipelines\/orders\/pipeline\.yaml:\d+:\d+/)
    .waitFor({ timeout: 5000 });
  await page.screenshot({ path: path.join(SCREENSHOTS, 'canvas-6-broken-file.png') });
  assert.match(readFileSync(file, 'utf8'), /bad: \[indent/, 'the broken file is left as the user wrote it');
  writeFileSync(file, good);
  await node(page, 'extra_source').waitFor({ timeout: 5000 });
});

test('one-click export to a file adds the export block, runs it and shows rows, destination and time', async () => {
  await node(page, 'sql').click({ button: 'right' });
  await page.getByRole('menuitem', { name: 'Export to file' }).click();
  await page.getByRole('dialog', { name: 'Export sql to file' }).getByRole('button', { name: 'Export' }).click();
  const result = page.getByRole('status', { name: 'Export result' });
  await result
    .getByText(new RegExp(`Exported ${ROWS.toLocaleString('en-US')} rows of sql to exports/sql.parquet in \\d`))
    .waitFor({ timeout: 30_000 });
  assert.ok(existsSync(path.join(temp.dir, 'exports/sql.parquet')));
  assert.match(pipelineFile(), /- id: sql_to_local_file\n\s+type: export\n\s+kind: local_file\n\s+upstream: \[sql\]/);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'canvas-7-one-click-export.png') });
});

test(
  'copy and paste between windows; a second window editing a stale version gets the conflict message',
  { skip: serveOnly('two browser windows on one server') },
  async () => {
    const second = await app.openWindow({ viewport: { width: 1200, height: 800 } });
    try {
      await node(second, 'sql').waitFor();
      // The second window stops hearing about changes, as if its connection had dropped.
      await second.routeWebSocket(/\/api\/events/, () => undefined);
      await second.reload();
      await node(second, 'sql').waitFor();
      await node(page, 'load_orders').click();
      await page.keyboard.press('Control+c');
      await page.keyboard.press('Control+v');
      await node(page, 'load_orders_2').waitFor();
      assert.match(pipelineFile(), /- id: load_orders_2\n\s+type: source\n\s+kind: http_file/);
      await second.getByRole('button', { name: 'Auto-layout' }).click();
      await second
        .getByRole('alert', { name: 'Edit status' })
        .getByText(/changed on disk by another editor; reload/)
        .waitFor();
      await second.screenshot({ path: path.join(SCREENSHOTS, 'canvas-8-conflict.png') });
      assert.doesNotMatch(readFileSync(path.join(temp.dir, 'pipelines/orders/pipeline.yaml'), 'utf8'), /^$/);
      await second.getByRole('alert', { name: 'Edit status' }).getByRole('button', { name: 'Reload' }).click();
      await node(second, 'load_orders_2').waitFor();
    } finally {
      await second.close();
    }
  },
);

test('editing a block after its run marks it and everything downstream stale, and a new window keeps the latest results', async () => {
  await page.reload();
  await node(page, 'load_orders').getByText('succeeded').waitFor();
  await node(page, 'sql_to_local_file').getByText('succeeded').waitFor();
  await editBlock(page, 'load_orders', 'load_orders', { url: `${files.url}/orders.csv`, format: 'csv', header: true });
  for (const block of ['load_orders', 'sql', 'local_file', 'sql_to_local_file'])
    await node(page, block).getByText('stale · succeeded').waitFor();
  assert.doesNotMatch(await node(page, 'extra_source').innerText(), /stale/);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'canvas-8b-stale.png') });
});

test('dragging a kind from the palette drops a new block on the canvas', async () => {
  await page.keyboard.press('Escape');
  await page.getByLabel('Search blocks').fill('local csv');
  const item = page.getByRole('button', { name: 'Add Local file (CSV, Parquet, JSON)' });
  assert.equal(
    await page.getByRole('button', { name: 'Add File over HTTP (CSV, Parquet, JSON)' }).count(),
    0,
    'the search narrows the palette',
  );
  await item.dragTo(page.locator('.react-flow__pane'), { targetPosition: { x: 120, y: 120 } });
  await acceptName(page, 'Local file (CSV, Parquet, JSON)');
  await node(page, 'local_file_2').waitFor();
  assert.match(pipelineFile(), /- id: local_file_2\n\s+type: source\n\s+kind: local_file\n\s+config:\n\s+path: data\/input.csv/);
  await page.getByLabel('Search blocks').fill('');
  await page.locator('.react-flow__pane').click({ position: { x: 10, y: 10 } });
});

test('the shortcut help lists the keys, and the minimap draws a shape per block', async () => {
  await page.keyboard.press('Escape');
  await page.keyboard.press('?');
  const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await help.getByText('undo / redo (written to the files)').waitFor();
  await page.screenshot({ path: path.join(SCREENSHOTS, 'canvas-9-shortcuts.png') });
  await help.getByRole('button', { name: 'Close' }).click();
  const blocks = (pipelineFile().match(/^\s+- id: /gm) ?? []).length;
  assert.deepEqual(pageErrors, [], 'the page threw no errors');
  await page.waitForFunction((n) => document.querySelectorAll('.react-flow__minimap-node').length === n, blocks);
});

async function dragBetween(p: Page, from: ReturnType<Page['getByLabel']>, to: ReturnType<Page['getByLabel']>): Promise<void> {
  const a = await from.boundingBox();
  const b = await to.boundingBox();
  assert.ok(a && b, 'both handles are on screen');
  await p.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await p.mouse.down();
  await p.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2 + 20, { steps: 5 });
  await p.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 5 });
  await p.mouse.up();
}
