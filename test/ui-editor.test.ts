import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { createTempProject, type TempProject } from './helpers/temp-project.ts';
import { startFileServer, type FileServer } from './helpers/http-server.ts';
import { openApp, type AppUnderTest } from './helpers/app.ts';
import { runCli } from './helpers/run-cli.ts';
import { waitUntil } from './helpers/wait-until.ts';

const SCREENSHOTS = path.resolve('test-results');
const SQL_FILE = 'blocks/big_orders.sql';

let temp: TempProject;
let files: FileServer;
let app: AppUnderTest;
let page: Page;

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  files = await startFileServer();
  const lines = ['order_id,amount'];
  for (let i = 1; i <= 50; i++) lines.push(`${i},${i}`);
  files.serve('/orders.csv', Buffer.from(lines.join('\n') + '\n'), { contentType: 'text/csv' });
  temp = createTempProject();
  temp.writeFile(SQL_FILE, 'select order_id, amount\nfrom orders\nwhere amount > 10\n');
  temp.writePipeline('shop', {
    name: 'Shop',
    blocks: [
      { id: 'orders', type: 'source', kind: 'http_file', config: { url: `${files.url}/orders.csv`, format: 'csv' } },
      { id: 'big_orders', type: 'transform', kind: 'sql', file: SQL_FILE, upstream: ['orders'] },
      { id: 'export_file', type: 'export', kind: 'local_file', upstream: ['big_orders'], config: { path: 'out/big_orders.parquet' } },
    ],
  });
  const ran = await runCli(['run', 'shop', '--project', temp.dir]);
  assert.equal(ran.code, 0, `the pipeline should run:\n${ran.stdout}\n${ran.stderr}`);
  app = await openApp(temp.dir, { viewport: { width: 1400, height: 900 } });
  page = app.page;
});

after(async () => {
  const code = await app?.close();
  await files?.close();
  temp?.cleanup();
  assert.equal(code, 0, `the app should stop cleanly:\n${app?.output()}`);
});

function readProjectFile(relPath: string): string {
  return readFileSync(path.join(temp.dir, relPath), 'utf8');
}

/** Waits until a project file has the expected text (saves are asynchronous). */
async function waitForFile(relPath: string, expected: string | RegExp): Promise<string> {
  const isExpected = (text: string) => (typeof expected === 'string' ? text === expected : expected.test(text));
  const found = await waitUntil(
    () => {
      const text = readProjectFile(relPath);
      return isExpected(text) && { text };
    },
    { what: `${relPath} to become ${String(expected)}`, intervalMs: 50 },
  ).catch((error: unknown) => {
    assert.fail(`${error instanceof Error ? error.message : String(error)}; it is:\n${readProjectFile(relPath)}`);
  });
  return found.text;
}

/** Opens a block's Code tab and replaces the editor's text (inserted at once: typing would pop up completions). */
async function replaceCode(blockId: string, text: string): Promise<void> {
  await page.getByRole('button', { name: blockId, exact: true }).click();
  await page.getByRole('tab', { name: 'Code', exact: true }).click();
  const editor = page.getByLabel('Block code');
  await editor.click();
  await page.keyboard.press('Control+a');
  await page.keyboard.insertText(text);
}

test('Ctrl+S writes the edited SQL to its file on disk and clears the unsaved mark', async () => {
  const sql = 'select order_id, amount\nfrom orders\nwhere amount > 40\n';
  await replaceCode('big_orders', sql);
  await page.getByLabel('Unsaved changes').waitFor();
  await page.screenshot({ path: path.join(SCREENSHOTS, 'editor-1-dirty.png') });
  await page.keyboard.press('Control+s');
  await waitForFile(SQL_FILE, sql);
  await page.getByLabel('Unsaved changes').waitFor({ state: 'detached' });
});

test('completion offers the upstream block and, after its name, its columns', async () => {
  await page.keyboard.press('Control+a');
  await page.keyboard.insertText('select ');
  await page.keyboard.type('orde');
  const options = page.locator('.cm-tooltip-autocomplete li');
  await options
    .filter({ hasText: /^orders$/ })
    .first()
    .waitFor();
  await page.keyboard.press('Escape');
  await page.keyboard.type('rs.');
  await options
    .filter({ hasText: /^amount$/ })
    .first()
    .waitFor();
  assert.ok((await options.allInnerTexts()).includes('order_id'));
  await page.screenshot({ path: path.join(SCREENSHOTS, 'editor-2-completion.png') });
  await page.keyboard.press('Escape');
});

test('Ctrl+Enter saves and runs the block; the output shows the new column', async () => {
  const sql = 'select order_id, amount * 2 as doubled\nfrom orders\nwhere amount > 45\n';
  await page.keyboard.press('Control+a');
  await page.keyboard.insertText(sql);
  await page.keyboard.press('Control+Enter');
  await waitForFile(SQL_FILE, sql);
  await page.getByRole('tab', { name: 'Output', exact: true }).click();
  const grid = page.getByRole('grid', { name: 'Preview of big_orders' });
  await grid.getByRole('columnheader', { name: /^doubled / }).waitFor({ timeout: 20_000 });
  await page.getByRole('status', { name: 'Row count' }).getByText('5 rows').waitFor();
});

test('a failing SQL block shows the run error at its line in the editor', async () => {
  await replaceCode('big_orders', 'select order_id,\n  amount,\n  no_such_column\nfrom orders\n');
  await page.keyboard.press('Control+Enter');
  const marked = page.locator('.cm-content .cm-line').nth(2).locator('.cm-lintRange-error');
  await marked.waitFor({ timeout: 20_000 });
  assert.match(await marked.innerText(), /no_such_column/);
  assert.match(await page.getByRole('alert', { name: 'Last run error' }).innerText(), /line 3.*no_such_column/s);
  assert.equal(await page.locator('.cm-content .cm-line').nth(0).locator('.cm-lintRange-error').count(), 0);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'editor-3-error-at-line.png') });
});

test('a change on disk under unsaved edits is a conflict, never silently overwritten', async () => {
  await replaceCode('big_orders', 'select 1 as mine\nfrom orders\n');
  writeFileSync(path.join(temp.dir, SQL_FILE), 'select 2 as theirs\nfrom orders\n');
  await page.keyboard.press('Control+s');
  const conflict = page.getByRole('alert').filter({ hasText: 'changed on disk' });
  await conflict.waitFor();
  assert.equal(readProjectFile(SQL_FILE), 'select 2 as theirs\nfrom orders\n');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'editor-4-conflict.png') });
  await conflict.getByRole('button', { name: 'Overwrite with my version' }).click();
  await waitForFile(SQL_FILE, 'select 1 as mine\nfrom orders\n');
});

test('the config form saves a connector field to pipeline.yaml through blocks.update', async () => {
  await page.getByRole('button', { name: 'export_file', exact: true }).click();
  await page.getByRole('tab', { name: 'Config', exact: true }).click();
  const form = page.getByRole('form', { name: 'Config of export_file' });
  await form.getByLabel('compression', { exact: true }).selectOption('zstd');
  await form.getByLabel('partition_by', { exact: true }).fill('order_id');
  await form.getByRole('button', { name: 'Save config' }).click();
  const yaml = await waitForFile('pipelines/shop/pipeline.yaml', /compression: zstd/);
  assert.match(yaml, /partition_by:\s*\n\s*- order_id/);
  assert.match(yaml, /path: out\/big_orders.parquet/, 'untouched fields stay');
  await form.getByText('Saved to pipeline.yaml').waitFor();
  await page.screenshot({ path: path.join(SCREENSHOTS, 'editor-5-config-form.png') });
});

test('a value the kind refuses is shown at its field and nothing is written', async () => {
  const before = readProjectFile('pipelines/shop/pipeline.yaml');
  await page.getByRole('button', { name: 'orders', exact: true }).click();
  await page.getByRole('tab', { name: 'Config', exact: true }).click();
  const form = page.getByRole('form', { name: 'Config of orders' });
  await form.getByLabel('retries', { exact: true }).fill('50');
  await form.getByRole('button', { name: 'Save config' }).click();
  const fieldError = form.locator('#cfg-retries-error');
  await fieldError.waitFor();
  assert.match(await fieldError.innerText(), /20/);
  assert.equal(readProjectFile('pipelines/shop/pipeline.yaml'), before);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'editor-6-field-error.png') });
});
