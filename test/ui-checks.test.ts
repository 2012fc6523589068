import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { createTempProject, type TempProject } from './helpers/temp-project.ts';
import { openApp, closeSpecApp, type AppUnderTest } from './helpers/app.ts';

let temp: TempProject;
let app: AppUnderTest;
let page: Page;

before(async () => {
  temp = createTempProject();
  temp.writeFile('blocks/numbers.sql', 'select range as n from range(10)\n');
  temp.writePipeline('p', {
    name: 'Numbers',
    blocks: [
      {
        id: 'numbers',
        type: 'source',
        kind: 'sql',
        file: 'blocks/numbers.sql',
        checks: [{ not_null: 'n' }, { range: { column: 'n', max: 2 }, severity: 'warn' }],
      },
    ],
  });
  app = await openApp(temp.dir, { viewport: { width: 1400, height: 900 } });
  page = app.page;
});

after(() => closeSpecApp(app, temp));

test('a check that warned shows ⚠ on the node, and the run page lists each check with up to 5 failing rows', async () => {
  await page.getByRole('button', { name: 'Run pipeline' }).click();
  await page.getByRole('status', { name: 'Run status' }).getByText('Run succeeded').waitFor({ timeout: 30_000 });
  await page.getByRole('button', { name: 'numbers', exact: true }).getByText('⚠ 1/2 warned').waitFor();

  await page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: 'History' }).click();
  await page
    .getByRole('table', { name: 'Runs' })
    .getByRole('link', { name: /^Run .* of p$/ })
    .click();
  const checks = page.getByRole('table', { name: 'Checks of this run' });
  const passed = checks.getByRole('row', { name: 'numbers check not_null(n)' });
  await passed.getByRole('cell', { name: 'passed' }).waitFor();
  const warned = checks.getByRole('row', { name: 'numbers check range(n ≤ 2)' });
  await warned.getByRole('cell', { name: 'warned' }).waitFor();
  assert.match(await warned.innerText(), /⚠[\s\S]*7[\s\S]*7 failing rows, e\.g\./);
  await warned.getByText('5 failing rows').click();
  assert.equal(await warned.locator('table.sample-rows tbody tr').count(), 5);
});

test("History charts a block's rows over its last runs and lists the column its output gained", async () => {
  temp.writeFile('blocks/numbers.sql', 'select range as n, 1 as extra from range(2)\n');
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: 'Pipelines' }).click();
  await page.getByRole('button', { name: 'Run pipeline' }).click();
  await page.getByRole('button', { name: 'numbers', exact: true }).getByText('2 tests ✓').waitFor({ timeout: 30_000 });

  await page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: 'History' }).click();
  const runs = page.getByRole('table', { name: 'Runs' });
  await runs
    .getByRole('link', { name: /^Run .* of p$/ })
    .nth(1)
    .waitFor();
  await runs
    .getByRole('link', { name: /^Run .* of p$/ })
    .first()
    .click();
  await page.getByRole('region', { name: 'Logs of this run' }).getByLabel('Block').selectOption('numbers');
  const chart = page.getByRole('region', { name: 'Output of numbers over its last runs' });
  await chart.getByRole('img', { name: 'Rows per run: 10, 2' }).waitFor();
  assert.match(await chart.getByRole('list', { name: 'Schema changes' }).innerText(), /added extra INTEGER/);
});
