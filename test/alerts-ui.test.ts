import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createTempProject } from './helpers/temp-project.ts';
import { openApp } from './helpers/app.ts';

const SCREENSHOTS = path.resolve('test-results');

test('a failed run with a desktop alert shows a toast naming the pipeline, block and error in the UI', async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const temp = createTempProject({ alerts: [{ on: ['failure'], desktop: true }] });
  temp.writePipeline('orders', {
    blocks: [{ id: 'load_orders', type: 'source', kind: 'local_file', config: { path: 'data/missing.csv' } }],
  });
  const app = await openApp(temp.dir, { viewport: { width: 1200, height: 700 } });
  try {
    const page = app.page;
    await page.getByRole('button', { name: 'Run pipeline' }).click();
    const toast = page.getByRole('alert', { name: 'Pipeline orders failed at block load_orders' });
    await toast.waitFor({ timeout: 20_000 });
    assert.match(await toast.innerText(), /missing\.csv/);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'alerts-toast.png') });
    await toast.getByRole('button', { name: 'Dismiss alert' }).click();
    await toast.waitFor({ state: 'detached' });
  } finally {
    await app.close();
    temp.cleanup();
  }
});
