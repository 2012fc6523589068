import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { createTempProject, type TempProject } from './helpers/temp-project.ts';
import { openApp, closeSpecApp, type AppUnderTest } from './helpers/app.ts';
import { runCli } from './helpers/run-cli.ts';

const SCREENSHOTS = path.resolve('test-results');

let temp: TempProject;
let app: AppUnderTest;
let page: Page;

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  // Debian's interpreter has pandas (the one on the PATH may not).
  temp = createTempProject({ python: '/usr/bin/python3' });
  temp.writeFile('blocks/orders.py', "import pandas as pd\n\n\n@source\ndef load():\n    return pd.DataFrame({'amount': [5, 50]})\n");
  temp.writeFile('blocks/big.py', '@transform\ndef big(orders):\n    # keep the large ones\n    return orders[orders.amount > 10]\n');
  temp.writePipeline('shop', {
    blocks: [
      { id: 'orders', type: 'source', kind: 'python', file: 'blocks/orders.py' },
      { id: 'big', type: 'transform', kind: 'python', file: 'blocks/big.py', upstream: ['orders'] },
    ],
  });
  const ran = await runCli(['run', 'shop', '--project', temp.dir]);
  assert.equal(ran.code, 0, `the pipeline should run from the CLI:\n${ran.stdout}\n${ran.stderr}`);
  app = await openApp(temp.dir, { viewport: { width: 1400, height: 900 } });
  page = app.page;
});

after(() => closeSpecApp(app, temp));

test('a Python block opens highlighted, and its exception is marked at the line that raised it', async () => {
  await page.getByRole('button', { name: 'big', exact: true }).click();
  await page.getByRole('tab', { name: 'Code', exact: true }).click();
  const editor = page.getByLabel('Block code');
  // Highlighted tokens are wrapped in spans of their own: the keyword, the decorator and the comment.
  for (const token of ['def', '@transform', '# keep the large ones']) {
    await editor.locator('span', { hasText: token }).first().waitFor();
  }
  await editor.click();
  await page.keyboard.press('Control+a');
  await page.keyboard.insertText('@transform\ndef big(orders):\n    ratio = 1 / 0\n    return orders\n');
  await page.keyboard.press('Control+Enter');
  const marked = page.locator('.cm-content .cm-line').nth(2).locator('.cm-lintRange-error');
  await marked.waitFor({ timeout: 60_000 });
  assert.match(await page.getByRole('alert', { name: 'Last run error' }).innerText(), /ZeroDivisionError: division by zero/);
  assert.equal(await page.locator('.cm-content .cm-line').nth(0).locator('.cm-lintRange-error').count(), 0);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'python-error-at-line.png') });
});

test("typing orders['am in a Python block offers the upstream's column amount, naming the block it comes from", async () => {
  await page.getByRole('button', { name: 'big', exact: true }).click();
  await page.getByRole('tab', { name: 'Code', exact: true }).click();
  const editor = page.getByLabel('Block code');
  await editor.click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type("\nx = orders['am");
  const option = page.locator('.cm-tooltip-autocomplete li', { hasText: 'amount' });
  await option.waitFor();
  assert.match(await option.innerText(), /amount\s*orders/);
  await page.keyboard.press('Escape');
});
