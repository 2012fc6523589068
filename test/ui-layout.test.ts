import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { createTempProject, type TempProject } from './helpers/temp-project.ts';
import { openApp, closeSpecApp, serveOnly, type AppUnderTest } from './helpers/app.ts';

const SCREENSHOTS = path.resolve('test-results');

let temp: TempProject;
let app: AppUnderTest;
let page: Page;

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  temp = createTempProject();
  temp.writeFile('blocks/numbers.sql', 'select range as n from range(20)\n');
  // console.warn in a TypeScript block becomes a warn line of the run: the level filter has something to keep.
  temp.writeFile(
    'blocks/checked.ts',
    'export default (inputs: { numbers: { numRows: number } }) => {\n  for (let i = 0; i < 60; i++) console.log(`step ${i}`);\n  console.warn(`careful: ${inputs.numbers.numRows} numbers`);\n  return [{ total: inputs.numbers.numRows }];\n};\n',
  );
  temp.writePipeline('counting', {
    name: 'Numbers',
    blocks: [
      { id: 'numbers', type: 'source', kind: 'sql', file: 'blocks/numbers.sql' },
      { id: 'checked', type: 'transform', kind: 'typescript', file: 'blocks/checked.ts', upstream: ['numbers'] },
    ],
  });
  app = await openApp(temp.dir, { viewport: { width: 1400, height: 900 } });
  page = app.page;
});

after(() => closeSpecApp(app, temp));

const logCount = () => page.getByRole('status', { name: 'Log line count' }).innerText();
const shownBlocks = () => page.getByRole('list', { name: 'Log lines' }).locator('.log-block').allTextContents();
const shownLevels = () => page.getByRole('list', { name: 'Log lines' }).locator('.log-level').allTextContents();
const logList = () => page.getByRole('list', { name: 'Log lines' });
const isLogAtEnd = () => logList().evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight < 24);
const valueOf = async (handle: Locator) => Number(await handle.getAttribute('aria-valuenow'));

test('a pipeline without runs says how to start one in the log', async () => {
  await page.getByRole('button', { name: 'checked', exact: true }).waitFor();
  await page.getByRole('region', { name: 'Run log' }).getByText('No runs yet — press Run pipeline').waitFor();
  await page.screenshot({ path: path.join(SCREENSHOTS, 'layout-1-no-runs-light.png') });
});

test('filters the run log by block and by minimum level, and the counts follow', async () => {
  await page.getByRole('button', { name: 'Run pipeline' }).click();
  await page.getByRole('status', { name: 'Run status' }).getByText('Run succeeded').waitFor({ timeout: 30_000 });
  await page.getByRole('list', { name: 'Log lines' }).getByText('careful: 20 numbers').waitFor();
  const total = Number(/^(\d+) lines$/.exec(await logCount())?.[1]);
  assert.ok(total > 2, `the run logs several lines (${total})`);

  await page.getByRole('combobox', { name: 'Filter log by block' }).selectOption('checked');
  const byBlock = /^(\d+) of (\d+) lines$/.exec(await logCount());
  assert.ok(byBlock, await logCount());
  assert.equal(Number(byBlock[2]), total);
  assert.ok(Number(byBlock[1]) > 0 && Number(byBlock[1]) < total);
  assert.deepEqual(new Set(await shownBlocks()), new Set(['checked']));

  await page.getByRole('combobox', { name: 'Minimum log level' }).selectOption('warn');
  assert.equal(await logCount(), `1 of ${total} lines`);
  assert.deepEqual(await shownLevels(), ['warn']);

  await page.getByRole('combobox', { name: 'Filter log by block' }).selectOption('numbers');
  assert.equal(await logCount(), `0 of ${total} lines`);
  await page.getByRole('list', { name: 'Log lines' }).getByText('No line matches the filters').waitFor();

  await page.getByRole('combobox', { name: 'Filter log by block' }).selectOption('');
  await page.getByRole('combobox', { name: 'Minimum log level' }).selectOption('debug');
  await page.getByRole('searchbox', { name: 'Search the log' }).fill('CAREFUL');
  assert.equal(await logCount(), `1 of ${total} lines`);
  await page.getByRole('searchbox', { name: 'Search the log' }).fill('');
  assert.equal(await logCount(), `${total} lines`);
  await page.getByRole('combobox', { name: 'Filter log by block' }).selectOption('checked');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'layout-2-log-filtered-light.png') });
});

test('follows the newest log line; a reader who scrolled up gets a button back to it', async () => {
  assert.ok(await logList().evaluate((el) => el.scrollHeight > el.clientHeight * 2), 'the log overflows its panel');
  assert.equal(await isLogAtEnd(), true);
  await logList().evaluate((el) => el.scrollTo({ top: 0 }));
  const jump = page.getByRole('button', { name: 'Newest line ↓' });
  await jump.waitFor();
  assert.equal(await isLogAtEnd(), false, 'a reader scrolled up stays where they are');
  await jump.click();
  assert.equal(await isLogAtEnd(), true);
  assert.equal(await jump.count(), 0);
});

test('resizes the palette by keyboard: arrows move 16 px, Home and End reach the limits', async () => {
  const handle = page.getByRole('separator', { name: 'Resize the palette' });
  assert.equal(await handle.getAttribute('aria-orientation'), 'vertical');
  const start = await valueOf(handle);
  await handle.focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  assert.equal(await valueOf(handle), start + 32);
  await page.keyboard.press('ArrowLeft');
  assert.equal(await valueOf(handle), start + 16);
  const paletteWidth = (await page.getByRole('complementary', { name: 'Block palette' }).boundingBox())?.width;
  assert.equal(Math.round(paletteWidth ?? 0), start + 16);
  await page.keyboard.press('End');
  assert.equal(await valueOf(handle), Number(await handle.getAttribute('aria-valuemax')));
  await page.keyboard.press('Home');
  assert.equal(await valueOf(handle), Number(await handle.getAttribute('aria-valuemin')));
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
});

test('resizes the bottom panel by dragging its handle, and both sizes survive a reload', async () => {
  const handle = page.getByRole('separator', { name: 'Resize the bottom panel' });
  assert.equal(await handle.getAttribute('aria-orientation'), 'horizontal');
  const panel = page.getByRole('region', { name: 'Bottom panel' });
  const before = await valueOf(handle);
  const heightBefore = (await panel.boundingBox())?.height ?? 0;
  const box = await handle.boundingBox();
  assert.ok(box);
  const x = box.x + box.width / 2;
  const y = box.y + box.height / 2;
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x, y - 60, { steps: 4 });
  await page.mouse.move(x, y - 100, { steps: 4 });
  await page.mouse.up();
  assert.equal(await valueOf(handle), before + 100);
  const heightAfter = (await panel.boundingBox())?.height ?? 0;
  assert.ok(Math.abs(heightAfter - heightBefore - 100) <= 2, `the panel grew by the drag (${heightBefore} → ${heightAfter})`);

  const paletteSize = await valueOf(page.getByRole('separator', { name: 'Resize the palette' }));
  await page.reload();
  await page.getByRole('button', { name: 'checked', exact: true }).waitFor();
  assert.equal(await valueOf(page.getByRole('separator', { name: 'Resize the bottom panel' })), before + 100);
  assert.equal(await valueOf(page.getByRole('separator', { name: 'Resize the palette' })), paletteSize);
  assert.equal(Math.round((await panel.boundingBox())?.height ?? 0), Math.round(heightAfter));
});

test('resizes the block details under the canvas with the keyboard', async () => {
  await page.getByRole('button', { name: 'numbers', exact: true }).click();
  const handle = page.getByRole('separator', { name: 'Resize the block details' });
  const before = await valueOf(handle);
  await handle.focus();
  await page.keyboard.press('ArrowUp');
  assert.equal(await valueOf(handle), before + 16, 'moving the handle up grows the panel below it');
  await page.getByRole('status', { name: 'Row count' }).getByText('20 rows').waitFor();
  await page.screenshot({ path: path.join(SCREENSHOTS, 'layout-3-details-light.png') });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: path.join(SCREENSHOTS, 'layout-4-details-dark.png') });
  await page.emulateMedia({ colorScheme: 'light' });
});

test(
  'shows a busy skeleton while a pipeline loads instead of a frozen canvas',
  { skip: serveOnly('holds the HTTP answer to pipelines.get') },
  async () => {
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    // Hold the pipeline's answer until the skeleton has been seen; every other call goes straight through.
    const slow = await app.openWindow({
      viewport: { width: 1200, height: 700 },
      beforeLoad: (window) =>
        window.route('**/api/call', async (route) => {
          if (route.request().postData()?.includes('"pipelines.get"')) await released;
          await route.continue();
        }),
    });
    try {
      const skeleton = slow.getByRole('status', { name: 'Loading counting' });
      await skeleton.waitFor();
      assert.equal(await skeleton.getAttribute('aria-busy'), 'true');
      await slow.screenshot({ path: path.join(SCREENSHOTS, 'layout-7-loading-skeleton-light.png') });
      release();
      await slow.getByRole('button', { name: 'checked', exact: true }).waitFor();
      assert.equal(await skeleton.count(), 0);
    } finally {
      release();
      await slow.close();
    }
  },
);

test('a project with no pipelines says how to create one', async () => {
  const empty = createTempProject();
  const emptyApp = await openApp(empty.dir, { viewport: { width: 1200, height: 700 } });
  const emptyPage = emptyApp.page;
  try {
    const note = emptyPage.getByRole('note', { name: 'No pipelines yet' });
    await note.waitFor();
    assert.match(await note.innerText(), /New pipeline.*pipewright init/s);
    await emptyPage.getByRole('region', { name: 'Run log' }).getByText('No pipeline to run yet.').waitFor();
    await emptyPage.screenshot({ path: path.join(SCREENSHOTS, 'layout-5-no-pipelines-light.png') });
    await emptyPage.emulateMedia({ colorScheme: 'dark' });
    await emptyPage.screenshot({ path: path.join(SCREENSHOTS, 'layout-6-no-pipelines-dark.png') });
  } finally {
    await emptyApp.close();
    empty.cleanup();
  }
});
