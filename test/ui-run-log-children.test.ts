import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { createTempProject, type TempProject } from './helpers/temp-project.ts';
import { openApp, type AppUnderTest } from './helpers/app.ts';

const SCREENSHOTS = path.resolve('test-results');
const CHILDREN = 300;
/** Items i with i % 50 = 7 fail: 6 of 300. */
const FAILED = Array.from({ length: CHILDREN }, (_, i) => i).filter((i) => i % 50 === 7).length;

let temp: TempProject;
let app: AppUnderTest;
let page: Page;

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  temp = createTempProject();
  temp.writeFile('blocks/ids.sql', `select range::INTEGER as i from range(${CHILDREN})\n`);
  temp.writeFile(
    'blocks/each.sql',
    "select case when {{ item.i }} % 50 = 7 then error('bad item {{ item.i }}') else {{ item.i }} end as i\n",
  );
  temp.writePipeline('fan', {
    blocks: [
      { id: 'ids', type: 'source', kind: 'sql', file: 'blocks/ids.sql', dynamic: true },
      { id: 'each', type: 'transform', kind: 'sql', file: 'blocks/each.sql', upstream: ['ids'], reduce: true },
    ],
  });
  app = await openApp(temp.dir, { viewport: { width: 1440, height: 900 } });
  page = app.page;
});

after(async () => {
  const code = await app?.close();
  temp?.cleanup();
  assert.equal(code, 0, `the app should stop cleanly:\n${app?.output()}`);
});

const log = () => page.getByRole('region', { name: 'Run log' });
const lines = () => log().getByRole('list', { name: 'Log lines' });
const folded = () => lines().locator('.log-folded');
const summary = `${CHILDREN} children (${CHILDREN - FAILED}/${CHILDREN} ✓, ${FAILED} failed)`;

/** The blocks the log's lines name: the top-level ones only, never a child (`each[7]`). */
async function assertOnlyTopLevelLines(): Promise<void> {
  const blocks = await lines().locator('.log-line:not(.log-folded) .log-block').allTextContents();
  assert.ok(blocks.includes('each') && blocks.includes('ids'), blocks.join(', '));
  assert.deepEqual(
    blocks.filter((b) => b.includes('[')),
    [],
  );
}

test("a fan-out's run log shows the top-level lines and one count line for its children, which opens their tab", async () => {
  await page.getByRole('button', { name: 'Run pipeline' }).click();
  await page.getByRole('status', { name: 'Run status' }).getByText('Run failed').waitFor({ timeout: 120_000 });
  await folded().getByText(summary).waitFor();
  await assertOnlyTopLevelLines();
  assert.equal(await folded().count(), 1);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'ui-run-log-children-1-live.png') });

  await folded().getByRole('button', { name: 'Show children' }).click();
  await page.getByRole('region', { name: 'Children of each' }).waitFor();
});

test('reopened from history, the log still leaves the children out and counts them', async () => {
  await page.reload();
  await folded().getByText(summary).waitFor({ timeout: 30_000 });
  await assertOnlyTopLevelLines();
});

test("the run's page lists the top-level blocks' lines under all logs, and a child's under its own", async () => {
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: 'History' }).click();
  await page.getByRole('link', { name: /^Run .* of fan$/ }).click();
  const logs = page.getByRole('region', { name: 'Logs of this run' });
  await logs.getByText('300 items from ids: one child each').waitFor();
  const blocks = await logs.locator('.log-block').allTextContents();
  assert.ok(blocks.length > 0 && blocks.every((b) => !b.includes('[')), blocks.join(', '));
  await page.screenshot({ path: path.join(SCREENSHOTS, 'ui-run-log-children-2-run-page.png') });
  await page.getByRole('button', { name: 'Logs of each[7]' }).click();
  await logs.getByText('bad item 7').first().waitFor();
});
