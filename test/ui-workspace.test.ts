import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { initProject } from '../main/project/init-project.ts';
import { openApp, type AppUnderTest } from './helpers/app.ts';
import { axeViolations } from './helpers/axe.ts';

/** Issue 14, item 13: code and output side by side, room for rows at 1440×900, readable canvas text, console history. */

const SCREENSHOTS = path.resolve('test-results');
const VIEWPORT = { width: 1440, height: 900 };

let root: string;
let dir: string;
let app: AppUnderTest;
let page: Page;

const node = (name: string) => page.getByRole('button', { name, exact: true });
const shot = (name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `workspace-${name}.png`) });
const valueOf = async (handle: Locator) => Number(await handle.getAttribute('aria-valuenow'));

/** Rows of a data grid wholly inside its visible area (under its sticky header, above a horizontal scrollbar). */
function fullyVisibleRows(grid: Locator): Promise<number> {
  return grid.evaluate((el) => {
    const box = el.getBoundingClientRect();
    const top = el.querySelector('.grid-head')?.getBoundingClientRect().bottom ?? box.top;
    const bottom = box.top + el.clientTop + el.clientHeight;
    return [...el.querySelectorAll('.grid-body [role=row]')].filter((row) => {
      const r = row.getBoundingClientRect();
      return r.height > 0 && r.top >= top - 0.5 && r.bottom <= bottom + 0.5;
    }).length;
  });
}

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  root = mkdtempSync(path.join(os.tmpdir(), 'pw-workspace-'));
  // serve inherits it: the recent-projects list stays in the temp folder, not the user's config.
  process.env['PIPEWRIGHT_USER_DATA_DIR'] = path.join(root, 'user-data');
  dir = path.join(root, 'shop');
  await initProject(dir, {});
  app = await openApp(dir, { viewport: VIEWPORT });
  page = app.page;
  await page.getByRole('button', { name: 'Run pipeline' }).click();
  await node('orders_per_day').getByText('succeeded').waitFor({ timeout: 60_000 });
});

after(async () => {
  const code = await app?.close();
  rmSync(root, { recursive: true, force: true });
  assert.equal(code, 0, `the app should stop cleanly:\n${app?.output()}`);
});

test('Enter on a block opens its code beside its output, with the canvas moved aside: at least 20 rows show at 1440×900', async (t) => {
  await node('sample_orders').focus();
  await page.keyboard.press('Enter');
  await page.getByRole('tab', { name: 'Code', selected: true }).waitFor();
  await page.getByRole('textbox', { name: 'Block code' }).waitFor();
  const output = page.getByRole('region', { name: 'Output' });
  const grid = output.getByRole('grid', { name: 'Preview of sample_orders' });
  await grid.locator('[role=row][aria-rowindex="2"] [role=gridcell]:not(.is-loading)').first().waitFor();
  assert.equal(
    await page.getByRole('button', { name: 'Canvas beside' }).getAttribute('aria-pressed'),
    'true',
    'opening the code moves the canvas beside it',
  );
  const rows = await fullyVisibleRows(grid);
  await shot('1-code-beside-output');
  t.diagnostic(`${rows} whole rows beside the code at 1440×900`);
  assert.ok(rows >= 20, `the output grid shows ${rows} whole rows beside the code`);
  assert.deepEqual(await axeViolations(page), [], 'the code beside its output passes axe');

  // The canvas can step aside completely; the grid gets the room.
  await page.getByRole('button', { name: 'Hide canvas' }).click();
  await page.getByLabel(/^Canvas of pipeline/).waitFor({ state: 'hidden' });
  assert.ok((await fullyVisibleRows(grid)) >= rows);
  await page.getByRole('button', { name: 'Canvas beside' }).click();
  await node('sample_orders').waitFor();
});

test('Ctrl+Enter in the code runs the block and its new rows show beside it, without switching tabs', async () => {
  const editor = page.getByRole('textbox', { name: 'Block code' });
  await editor.click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type('where i < 123\n');
  await page.keyboard.press('Control+Enter');
  await page.getByRole('status', { name: 'Block run' }).getByText('Run succeeded').waitFor({ timeout: 30_000 });
  await page.getByRole('region', { name: 'Output' }).getByRole('status', { name: 'Row count' }).getByText('123 rows').waitFor();
  assert.equal(await page.getByRole('tab', { name: 'Code' }).getAttribute('aria-selected'), 'true', 'still on the code');
  assert.match(readFileSync(path.join(dir, 'blocks', 'sample_orders.sql'), 'utf8'), /where i < 123/, 'saved before the run');

  // A failing run shows its error with the code and the output, in the same view.
  await page.keyboard.type('and nope > 0');
  await page.keyboard.press('Control+Enter');
  await page.getByRole('alert', { name: 'Last run error' }).getByText(/nope/).waitFor({ timeout: 30_000 });
  await page.getByRole('region', { name: 'Output' }).waitFor();
  await shot('2-error-with-code-and-output');
  await page.keyboard.press('Control+a');
  await page.keyboard.type(
    readFileSync(path.join(dir, 'blocks', 'sample_orders.sql'), 'utf8')
      .replace('and nope > 0', '')
      .trimEnd(),
  );
  await page.keyboard.press('Control+Enter');
  await page.getByRole('status', { name: 'Block run' }).getByText('Run succeeded').waitFor({ timeout: 30_000 });
});

test('the handles between code and output and beside the canvas are visible, named and move with the keyboard', async () => {
  const split = page.getByRole('separator', { name: 'Resize the code and output' });
  const code = page.locator('.code-pane');
  const before = await valueOf(split);
  const widthBefore = (await code.boundingBox())?.width ?? 0;
  await split.focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  assert.equal(await valueOf(split), before + 32);
  const widthAfter = (await code.boundingBox())?.width ?? 0;
  assert.ok(Math.abs(widthAfter - widthBefore - 32) <= 1, `the code pane grew by two steps (${widthBefore} → ${widthAfter})`);
  // Visible without hovering: a focused handle is drawn in the accent colour, and every handle has a visible grip.
  const grip = await split.evaluate((el) => getComputedStyle(el, '::after').backgroundColor);
  assert.notEqual(grip, 'rgba(0, 0, 0, 0)', 'the focused handle shows');

  const canvasHandle = page.getByRole('separator', { name: 'Resize the canvas' });
  const canvasBefore = await valueOf(canvasHandle);
  await canvasHandle.focus();
  await page.keyboard.press('ArrowLeft');
  assert.equal(await valueOf(canvasHandle), canvasBefore - 16, 'moving the handle left narrows the canvas on its left');
  await page.keyboard.press('ArrowRight');
  await canvasHandle.evaluate((el) => (el as HTMLElement).blur());
  await page.mouse.move(0, 0);
  const idleGrip = await canvasHandle.evaluate((el) => {
    const grip = getComputedStyle(el, '::before');
    return { color: grip.backgroundColor, height: parseFloat(grip.height), opacity: Number(grip.opacity) };
  });
  assert.notEqual(idleGrip.color, 'rgba(0, 0, 0, 0)', 'a handle shows its grip before it is hovered or focused');
  assert.ok(idleGrip.height >= 20 && idleGrip.opacity >= 0.5, `the grip is big enough to see (${JSON.stringify(idleGrip)})`);
});

test('the SQL console shows at least 15 result rows at 1440×900 and keeps a history of past queries, re-runnable by keyboard', async (t) => {
  await page.getByRole('button', { name: 'Close block details' }).click();
  await page.getByRole('tab', { name: 'SQL console' }).click();
  const query = page.getByRole('textbox', { name: 'SQL console query' });
  await query.click();
  await page.keyboard.type('select * from starter.sample_orders order by order_id');
  await page.keyboard.press('Control+Enter');
  const grid = page.getByRole('grid', { name: 'Query result' });
  await grid.locator('[role=row][aria-rowindex="2"] [role=gridcell]:not(.is-loading)').first().waitFor();
  const rows = await fullyVisibleRows(grid);
  t.diagnostic(`${rows} whole result rows in the console at 1440×900`);
  assert.ok(rows >= 15, `the console shows ${rows} whole result rows`);
  const history = page.getByRole('list', { name: 'Past queries' });
  await history.getByRole('button', { name: 'Run again: select * from starter.sample_orders order by order_id' }).waitFor();
  await query.click();
  await page.keyboard.press('Control+a');
  await page.keyboard.type('select count(*) as n from starter.orders_per_day');
  await page.keyboard.press('Control+Enter');
  await page.getByRole('status', { name: 'Query row count' }).getByText('1 row · 1 column').waitFor();
  const count = grid.locator('[role=row][aria-rowindex="2"] [role=gridcell]').getByText('31', { exact: true });
  await count.waitFor();
  // A one-row result has a narrow row-number column: the value must not be cut to "…" by a row laid out too narrow.
  assert.equal(
    await count.evaluate(
      (el) =>
        el.scrollWidth <= el.clientWidth &&
        el.getBoundingClientRect().right <= (el.closest('[role=row]')?.getBoundingClientRect().right ?? 0) + 0.5,
    ),
    true,
    'the count shows whole',
  );
  await shot('3-console-history');
  assert.deepEqual(await axeViolations(page), [], 'the console with its history passes axe');

  // Kept by the project: after a reload, the older query is still there and runs again from the keyboard.
  await page.reload();
  await page.getByRole('tab', { name: 'SQL console' }).click();
  const older = page
    .getByRole('list', { name: 'Past queries' })
    .getByRole('button', { name: /^Run again: select \* from starter\.sample_orders/ });
  await older.focus();
  await page.keyboard.press('Enter');
  await page
    .getByRole('status', { name: 'Query row count' })
    .getByText(/rows · 4 columns/)
    .waitFor();
  assert.match(await page.getByRole('status', { name: 'Query row count' }).innerText(), /^\d{3} rows/, 'the sample orders again');
  const saved = JSON.parse(readFileSync(path.join(dir, '.pipewright', 'console-history.json'), 'utf8')) as { sql: string }[];
  assert.deepEqual(saved.map((q) => q.sql).slice(0, 2), [
    'select * from starter.sample_orders order by order_id',
    'select count(*) as n from starter.orders_per_day',
  ]);

  // With a block open too, the tall console gives way: the block's tabs stay uncovered and clickable.
  for (const place of ['Canvas above', 'Canvas beside'] as const) {
    await node('orders_per_day').click();
    await page.getByRole('button', { name: place }).click();
    const output = page.getByRole('tab', { name: 'Output', exact: true });
    const isOnTop = await output.evaluate((el) => {
      const box = el.getBoundingClientRect();
      return el.contains(document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2));
    });
    assert.equal(isOnTop, true, `${place}: the Output tab is not covered by the console`);
    await output.click();
    await page.getByRole('button', { name: 'Close block details' }).click();
  }
  await page.getByRole('tab', { name: 'Log' }).click();
});

/** The smallest node text on the canvas as drawn (font size × the canvas's zoom), and the zoom. */
function nodeTextSize(): Promise<{ minPx: number; zoom: number; texts: number }> {
  return page.evaluate(() => {
    const viewport = document.querySelector('.react-flow__viewport');
    const zoom = viewport ? new DOMMatrix(getComputedStyle(viewport).transform).a : 1;
    let minPx = Infinity;
    let texts = 0;
    for (const el of document.querySelectorAll('.react-flow__node *')) {
      if (![...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent?.trim())) continue;
      texts++;
      minPx = Math.min(minPx, parseFloat(getComputedStyle(el).fontSize) * zoom);
    }
    return { minPx, zoom, texts };
  });
}

test('the project picker refuses a folder that is not a project at its field, then opens the nyc-taxi example by path', async () => {
  const taxi = taxiDir();
  await initProject(taxi, { example: 'nyc-taxi' });
  await page.getByRole('button', { name: 'shop Switch project', exact: true }).click();
  const picker = page.getByRole('dialog', { name: 'Projects' });
  const openField = picker.getByRole('textbox', { name: 'Open a project folder' });
  await openField.fill('taxi');
  await picker.getByRole('button', { name: 'Open', exact: true }).click();
  await picker
    .getByRole('alert')
    .getByText(/taxi is not an absolute path/)
    .waitFor();
  assert.equal(await openField.getAttribute('aria-invalid'), 'true');
  await openField.fill(root);
  await picker.getByRole('button', { name: 'Open', exact: true }).click();
  await picker
    .getByRole('alert')
    .getByText(/has no pipewright\.yaml: choose a project folder, or create a new project there/)
    .waitFor();
  await shot('4-project-picker-error');
  assert.deepEqual(await axeViolations(page), [], 'the project picker with its error passes axe');
  await openField.fill(taxi);
  await picker.getByRole('button', { name: 'Open', exact: true }).click();
  // The server closes shop and opens the example on the same address: the page reloads on it.
  await page.getByRole('button', { name: 'nyc-taxi Switch project', exact: true }).waitFor({ timeout: 60_000 });
  await page.getByRole('navigation', { name: 'Pipelines' }).getByRole('button', { name: 'yellow_taxi_etl' }).waitFor();
});

test('zoom to fit on the biggest example pipeline stops at a readable zoom (node text never under 11 px) and pans instead', async (t) => {
  await page.getByRole('navigation', { name: 'Pipelines' }).getByRole('button', { name: 'yellow_taxi_etl' }).click();
  await node('load_yellow_taxi').waitFor();
  await page.getByRole('button', { name: 'Zoom to fit' }).click();
  const fitted = await nodeTextSize();
  assert.ok(fitted.texts > 10, 'node texts were measured');
  t.diagnostic(
    `after zoom to fit: zoom ${fitted.zoom.toFixed(3)}, smallest node text ${fitted.minPx.toFixed(2)} px over ${fitted.texts} texts`,
  );
  assert.ok(
    fitted.minPx >= 11 - 0.01,
    `smallest node text after zoom to fit: ${fitted.minPx.toFixed(2)} px at zoom ${fitted.zoom.toFixed(3)}`,
  );
  // Panned to the start: the first source is on screen.
  const canvasBox = await page.getByLabel(/^Canvas of pipeline/).boundingBox();
  const sourceBox = await node('load_yellow_taxi').boundingBox();
  assert.ok(
    canvasBox && sourceBox && sourceBox.x >= canvasBox.x && sourceBox.x + sourceBox.width <= canvasBox.x + canvasBox.width,
    'the source is in view',
  );
  await shot('5-readable-zoom-to-fit');
  // Zooming out by hand (wheel, or the − button) stops there too.
  assert.ok(canvasBox);
  await page.mouse.move(canvasBox.x + canvasBox.width / 2, canvasBox.y + canvasBox.height / 2);
  for (let i = 0; i < 4; i++) await page.mouse.wheel(0, 500);
  assert.ok((await nodeTextSize()).minPx >= 11 - 0.01, 'zooming out keeps node text readable');
  assert.equal(await page.getByRole('button', { name: 'Zoom Out' }).isDisabled(), true, 'the − button says it cannot go further');
  // Beside the editor, the narrow canvas keeps the same floor.
  await node('load_yellow_taxi').focus();
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Canvas beside', pressed: true }).waitFor();
  await page.getByRole('button', { name: 'Zoom to fit' }).click();
  assert.ok((await nodeTextSize()).minPx >= 11 - 0.01, 'the narrow canvas keeps node text readable');
  await shot('6-readable-canvas-beside');
  await page.getByRole('button', { name: 'Close block details' }).click();
});

test('the selected pipeline and screen are in the URL: reload, Back and Forward show them again', async () => {
  const pipelines = page.getByRole('navigation', { name: 'Pipelines' });
  const selected = () => pipelines.locator('[aria-current=page]').innerText();
  await pipelines.getByRole('button', { name: 'green_taxi_etl' }).click();
  await page.waitForURL(/#\/pipelines\/green_taxi_etl$/);
  await page.reload();
  await node('load_green_taxi').waitFor();
  assert.equal(await selected(), 'green_taxi_etl', 'a reload keeps the pipeline');
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: 'Settings' }).click();
  await page.waitForURL(/#\/settings$/);
  // A pipeline picked from another screen opens it on the canvas.
  await pipelines.getByRole('button', { name: 'yellow_taxi_etl' }).click();
  await page.waitForURL(/#\/pipelines\/yellow_taxi_etl$/);
  await node('load_yellow_taxi').waitFor();
  await page.goBack();
  await page.waitForURL(/#\/settings$/);
  await page.getByRole('heading', { name: 'Project settings' }).waitFor();
  await page.goBack();
  await page.waitForURL(/#\/pipelines\/green_taxi_etl$/);
  await node('load_green_taxi').waitFor();
  assert.equal(await selected(), 'green_taxi_etl');
  await page.goForward();
  await page.getByRole('heading', { name: 'Project settings' }).waitFor();
  await page.goForward();
  await node('load_yellow_taxi').waitFor();
  assert.equal(await selected(), 'yellow_taxi_etl');
});

test('switching back from Recent, a pipeline opens from its run in History; a new project starts with a pipeline that runs', async () => {
  await page.getByRole('button', { name: 'nyc-taxi Switch project', exact: true }).click();
  await page
    .getByRole('dialog', { name: 'Projects' })
    .getByRole('button', { name: `Open ${dir}` })
    .click();
  await page.getByRole('button', { name: 'shop Switch project', exact: true }).waitFor({ timeout: 60_000 });
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: 'History' }).click();
  await page.getByRole('table', { name: 'Runs' }).getByRole('link', { name: 'Open pipeline starter' }).first().click();
  await page.waitForURL(/#\/pipelines\/starter$/);
  await node('orders_per_day').waitFor();

  const fresh = path.join(root, 'fresh');
  await page.getByRole('button', { name: 'shop Switch project', exact: true }).click();
  const picker = page.getByRole('dialog', { name: 'Projects' });
  const createField = picker.getByRole('textbox', { name: 'New project in folder' });
  await createField.fill(taxiDir());
  await picker.getByRole('button', { name: 'Create' }).click();
  await picker
    .getByRole('alert')
    .getByText(/is not empty/)
    .waitFor();
  await createField.fill(fresh);
  await picker.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('button', { name: 'fresh Switch project', exact: true }).waitFor({ timeout: 60_000 });
  await page.getByRole('button', { name: 'Run pipeline' }).click();
  await node('orders_per_day').getByText('succeeded').waitFor({ timeout: 60_000 });
  await shot('7-new-project-ran');
});

function taxiDir(): string {
  return path.join(root, 'taxi');
}
