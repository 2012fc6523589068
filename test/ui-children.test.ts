import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { RunStore } from '../main/history/run-store.ts';
import { createTempProject, type TempProject } from './helpers/temp-project.ts';
import { openApp, closeSpecApp, type AppUnderTest } from './helpers/app.ts';
import { recordFanOutRun, writeFanOutPipeline } from './helpers/fan-out-history.ts';
import { axeViolations } from './helpers/axe.ts';

const SCREENSHOTS = path.resolve('test-results');
const CHILDREN = 3_000;
/** Every 17th child failed (from #3): 177 of 3,000. */
const isFailed = (i: number) => i % 17 === 3;
const FAILED = Array.from({ length: CHILDREN }, (_, i) => i).filter(isFailed);

let temp: TempProject;
let app: AppUnderTest;
let page: Page;

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  temp = createTempProject();
  writeFanOutPipeline(temp, CHILDREN);
  // The run is written through the run store's own fold, as the engine would leave it (a real run of 3,000 children
  // takes minutes here); the app then reads it like any other.
  const store = RunStore.open(path.join(temp.dir, '.pipewright', 'history.sqlite'));
  try {
    recordFanOutRun(store, {
      runId: 'r_many',
      pipelineId: 'fanout',
      blocks: ['seed', 'items', 'each'],
      parent: 'each',
      children: CHILDREN,
      statusOf: (i) => (isFailed(i) ? 'failed' : 'succeeded'),
    });
  } finally {
    store.close();
  }
  app = await openApp(temp.dir, { viewport: { width: 1440, height: 900 } });
  page = app.page;
});

after(() => closeSpecApp(app, temp));

const pager = () => page.getByRole('region', { name: 'Children of each' });
const position = () => pager().getByRole('navigation').getByRole('status');
const childRows = () => pager().getByRole('table', { name: 'Children of each on this page' }).locator('tbody tr');
const firstIndex = async () => (await childRows().first().getByRole('rowheader').innerText()).trim();

test('a run page with 3,000 children shows their counts and the first page of 50, never all of them', async () => {
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: 'History' }).click();
  await page.getByRole('link', { name: 'Run r_many of fanout' }).click();
  await position().getByText('#0–#49 of 3,000 children').waitFor();
  assert.equal(await childRows().count(), 50);
  const summary = `3,000 children: ${(CHILDREN - FAILED.length).toLocaleString('en-US')} succeeded, ${FAILED.length} failed`;
  await page.getByRole('row', { name: 'each', exact: true }).getByRole('link', { name: summary }).waitFor();
  assert.equal(await page.locator('tr[id^="run-block-each["]').count(), 50, 'only one page of children is in the page');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'ui-children-1-run-page.png') });
  assert.deepEqual(await axeViolations(page), [], 'the run page with its children passes the WCAG 2.1 AA checks');
});

test('the keyboard pages through the children: PageDown, End, Home on the rows, Enter on the page buttons', async () => {
  await pager().locator('.children-rows').focus();
  await page.keyboard.press('PageDown');
  await position().getByText('#50–#99 of 3,000 children').waitFor();
  await page.keyboard.press('End');
  await position().getByText('#2,950–#2,999 of 3,000 children').waitFor();
  await page.keyboard.press('PageUp');
  await position().getByText('#2,900–#2,949 of 3,000 children').waitFor();
  // Enter on Next reaches the last page, which disables Next: the keyboard lands on the rows, not on the document.
  await pager().getByRole('button', { name: 'Next page of children' }).focus();
  await page.keyboard.press('Enter');
  await position().getByText('#2,950–#2,999 of 3,000 children').waitFor();
  await page.waitForFunction(() => document.activeElement?.classList.contains('children-rows'));
  assert.equal(await pager().getByRole('button', { name: 'Next page of children' }).isDisabled(), true, 'no page after the last');
  await pager().getByRole('button', { name: 'Previous page of children' }).focus();
  await page.keyboard.press('Enter');
  await position().getByText('#2,900–#2,949 of 3,000 children').waitFor();
  await page.keyboard.press('Shift+Tab'); // to "First page"
  await page.keyboard.press('Enter');
  await position().getByText('#0–#49 of 3,000 children').waitFor();
  assert.equal(await firstIndex(), '#0');
});

test('"Failed only" and "Go to child #" find a failed child, and its logs open below', async () => {
  await pager()
    .getByRole('checkbox', { name: `Failed only (${FAILED.length})` })
    .check();
  const firstFailed = FAILED.slice(0, 50);
  await position()
    .getByText(`#${firstFailed[0]}–#${firstFailed.at(-1)} of ${FAILED.length} failed children`)
    .waitFor();
  const statuses = await childRows().locator('.run-badge').allInnerTexts();
  assert.deepEqual([...new Set(statuses)], ['failed']);
  await pager().getByRole('spinbutton', { name: 'Go to child #' }).fill('1000');
  await page.keyboard.press('Enter');
  const atOrAfter = FAILED.find((i) => i >= 1000) ?? -1;
  await position()
    .getByText(new RegExp(`^#${atOrAfter.toLocaleString('en-US')}–`))
    .waitFor();
  await pager()
    .getByRole('button', { name: `Logs of each[${atOrAfter}]` })
    .click();
  const logs = page.getByRole('region', { name: 'Logs of this run' });
  await logs.getByText(`child ${atOrAfter} failed: division by zero`).first().waitFor();
  await page.screenshot({ path: path.join(SCREENSHOTS, 'ui-children-2-failed-only.png') });
  // After the last failed child: an empty page that says so and leads back.
  await pager()
    .getByRole('spinbutton', { name: 'Go to child #' })
    .fill(String((FAILED.at(-1) ?? 0) + 1));
  await page.keyboard.press('Enter');
  await pager()
    .getByText(`No failed children at or after #${((FAILED.at(-1) ?? 0) + 1).toLocaleString('en-US')}.`)
    .waitFor();
  await pager().getByRole('button', { name: 'Back to the first page' }).click();
  await position().getByText(`of ${FAILED.length} failed children`).waitFor();
});

test("the canvas counts the last run's children on the fanned-out node, and its Children tab pages them", async () => {
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: 'Pipelines' }).click();
  await page.getByRole('button', { name: 'fanout', exact: true }).click();
  const node = page.getByRole('button', { name: 'each', exact: true });
  await node.getByText(`${(CHILDREN - FAILED.length).toLocaleString('en-US')}/3,000 ✓, ${FAILED.length} failed`).waitFor();
  await node.click();
  await page.getByRole('tab', { name: 'Children' }).click();
  await position().getByText('#0–#49 of 3,000 children').waitFor();
  await pager().getByRole('button', { name: 'Next page of children' }).click();
  await position().getByText('#50–#99 of 3,000 children').waitFor();
  await pager().getByRole('button', { name: 'Logs of each[50]' }).click();
  // The logs belong to that child alone: the block selector offers it and no "all" that would hide them.
  const logs = page.getByRole('region', { name: 'Logs of this run' });
  await logs.waitFor();
  assert.deepEqual(await logs.getByRole('combobox', { name: 'Block' }).locator('option').allInnerTexts(), ['each[50]']);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'ui-children-3-canvas-tab.png') });
});
