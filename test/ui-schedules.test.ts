import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { createTempProject, type TempProject } from './helpers/temp-project.ts';
import { openApp, closeSpecApp, type AppUnderTest } from './helpers/app.ts';

const SCREENSHOTS = path.resolve('test-results');

let temp: TempProject;
let app: AppUnderTest;
let page: Page;

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  temp = createTempProject();
  temp.writeFile('blocks/one.sql', 'select 1 as one\n');
  const blocks = [{ id: 'one', type: 'source', kind: 'sql', file: 'blocks/one.sql' }];
  // Yearly on Jan 1st: nothing fires during the test, whatever the date.
  temp.writePipeline('nightly', {
    blocks,
    triggers: [
      { name: 'daily', type: 'schedule', cron: '0 0 1 1 *' },
      { name: 'off', type: 'schedule', cron: '0 0 1 1 *', enabled: false },
    ],
  });
  temp.writePipeline('weekly', {
    blocks,
    triggers: [
      { name: 'monday', type: 'schedule', cron: '0 0 1 1 *' },
      { name: 'ci', type: 'api' },
    ],
  });
  app = await openApp(temp.dir, { viewport: { width: 1440, height: 900 } });
  page = app.page;
  await page.getByRole('button', { name: 'nightly', exact: true }).click();
});

after(() => closeSpecApp(app, temp));

const line = () => page.getByRole('group', { name: 'Schedules' });

test('the toolbar says which schedules of the project are active; Pause holds them all, for every window, until Resume', async () => {
  const status = line().getByRole('status');
  await status.getByText(/^2 schedules active: /).waitFor();
  const text = await status.innerText();
  assert.match(text, /nightly\/daily \(next \d{4}-01-01 00:00 UTC\)/);
  assert.match(text, /weekly\/monday/);
  assert.doesNotMatch(text, /nightly\/off|weekly\/ci/, 'disabled schedules and api triggers are not listed');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'schedules-1-active.png') });

  await line().getByRole('button', { name: 'Pause schedules' }).click();
  await status.getByText(/^2 schedules paused: /).waitFor();
  // The pause lives in the server, not the page: a reloaded window still sees it.
  await page.reload();
  await page.getByRole('button', { name: 'nightly', exact: true }).click();
  await line()
    .getByRole('status')
    .getByText(/^2 schedules paused: /)
    .waitFor();
  await page.screenshot({ path: path.join(SCREENSHOTS, 'schedules-2-paused.png') });

  await line().getByRole('button', { name: 'Resume schedules' }).click();
  await line()
    .getByRole('status')
    .getByText(/^2 schedules active: /)
    .waitFor();
});
