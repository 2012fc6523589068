import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import pg from 'pg';
import { Storage } from '@google-cloud/storage';
import { initProject } from '../main/project/init-project.ts';
import { createBigQueryClient } from '../main/cloud/bigquery-client.ts';
import { LOCAL_POSTGRES_SECRET } from '../main/connections/resolve-connection.ts';
import { SecretStore } from '../main/connections/secret-store.ts';
import { LOCAL_SUPERUSER } from '../main/postgres/local-server.ts';
import { startFileServer } from './helpers/http-server.ts';
import { openApp } from './helpers/app.ts';
import { newestRunId, waitForNewRunToFinish } from './helpers/page-api.ts';

const SCREENSHOTS = path.resolve('test-results');
const CUSTOMERS = 41;

/** Every click and keystroke of the walk goes through here, so the note can say how many it took. */
function counted(page: Page) {
  const tally = { clicks: 0, keys: 0 };
  return {
    tally,
    click: async (target: Locator, opts: { button?: 'right'; double?: boolean } = {}) => {
      tally.clicks += opts.double ? 2 : 1;
      await (opts.double ? target.dblclick() : target.click(opts.button ? { button: opts.button } : {}));
    },
    type: async (text: string) => {
      tally.keys += text.length;
      await page.keyboard.type(text);
    },
    press: async (key: string) => {
      tally.keys += 1;
      await page.keyboard.press(key);
    },
  };
}

test('a newcomer walks from a fresh init to three exports, History and a re-run with no error on the way', async (t) => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const files = await startFileServer();
  const lines = ['order_id,customer,amount'];
  for (let i = 1; i <= 5000; i++) lines.push(`${i},customer ${i % CUSTOMERS},${(i % 97) + 0.5}`);
  files.serve('/orders.csv', Buffer.from(`${lines.join('\n')}\n`), { contentType: 'text/csv' });
  const root = mkdtempSync(path.join(os.tmpdir(), 'pw-e2e-'));
  const dir = path.join(root, 'shop');
  await initProject(dir, {});
  const app = await openApp(dir, { viewport: { width: 1440, height: 900 } });
  const page = app.page;
  const act = counted(page);
  const node = (name: string) => page.getByRole('button', { name, exact: true });
  const noErrorToast = async (step: string) =>
    assert.equal(await page.getByRole('region', { name: 'Notifications' }).getByRole('alert').count(), 0, `no error toast after ${step}`);
  const shot = (name: string) => page.screenshot({ path: path.join(SCREENSHOTS, `e2e-first-contact-${name}.png`) });
  const started = Date.now();
  try {
    // 1. A new pipeline with an HTTP source.
    await act.click(page.getByRole('button', { name: 'New pipeline' }));
    await act.type('orders');
    await act.press('Enter');
    await act.click(page.getByRole('button', { name: 'Add File over HTTP (CSV, Parquet, JSON)' }), { double: true });
    await page
      .getByRole('dialog', { name: /^Add File over HTTP/ })
      .getByLabel('Block name')
      .waitFor();
    await act.type('load_orders');
    await act.press('Enter');
    await act.click(node('load_orders'), { button: 'right' });
    await act.click(page.getByRole('menuitem', { name: 'Edit config…' }));
    const edit = page.getByRole('dialog', { name: 'Edit block load_orders' });
    await act.click(edit.getByLabel('Config JSON'));
    await act.press('Control+a');
    await act.type(JSON.stringify({ url: `${files.url}/orders.csv`, format: 'csv' }));
    await act.press('Control+Enter');
    await edit.waitFor({ state: 'detached' });
    await noErrorToast('the source');

    // 2. A SQL aggregate, run on its own from the editor, and its preview.
    await act.click(node('load_orders'));
    await act.click(page.getByRole('button', { name: 'Add SQL (DuckDB)' }), { double: true });
    await page.getByRole('dialog', { name: 'Add SQL (DuckDB)' }).getByLabel('Block name').waitFor();
    await act.type('by_customer');
    await act.press('Enter');
    await act.click(node('by_customer'));
    await act.click(page.getByRole('tab', { name: 'Code' }));
    await act.click(page.getByRole('textbox', { name: 'Block code' }));
    await act.press('Control+a');
    await act.type('select customer, count(*) as orders, sum(amount) as amount\nfrom load_orders\ngroup by customer');
    await act.press('Control+s');
    await page.getByText('saved', { exact: true }).waitFor();
    await act.click(page.getByRole('button', { name: 'Run with upstream' }));
    await node('by_customer').getByText('succeeded').waitFor({ timeout: 60_000 });
    // The rows show beside the code: no tab to switch.
    await page.getByRole('region', { name: 'Output' }).getByRole('status', { name: 'Row count' }).getByText(`${CUSTOMERS} rows`).waitFor();
    await shot('1-preview');
    await noErrorToast('the aggregate');

    // 3. The three one-click exports, each named in its dialog.
    // Each export's own result: the previous one's "Exported …" stays on screen until the next replaces it.
    const destinations = { Postgres: 'to table ', GCS: 'to gs://', BigQuery: 'to BigQuery table ' };
    for (const [target, destination] of Object.entries(destinations)) {
      await act.click(node('by_customer'), { button: 'right' });
      await act.click(page.getByRole('menuitem', { name: `Export to ${target}` }));
      await act.click(page.getByRole('dialog', { name: `Export by_customer to ${target}` }).getByRole('button', { name: 'Export' }));
      await page
        .getByRole('status', { name: 'Export result' })
        .getByText(new RegExp(`^Exported .* of by_customer ${destination}`))
        .waitFor({ timeout: 90_000 });
      await noErrorToast(`the export to ${target}`);
    }
    await shot('2-exports');

    // 4. The whole pipeline, then its results in the local Postgres and the emulators.
    // The status already reads "Run succeeded" from step 2's run: wait for a run newer than the last one instead.
    const runBefore = await newestRunId(page, 'orders');
    await act.click(page.getByRole('button', { name: 'Run pipeline' }));
    const pipelineRun = await waitForNewRunToFinish(page, 'orders', runBefore, 90_000);
    assert.equal(pipelineRun.status, 'succeeded', `run ${pipelineRun.id}: ${pipelineRun.error?.message ?? ''}`);
    await page.getByRole('status', { name: 'Run status' }).getByText('Run succeeded').waitFor();
    const stateDir = path.join(dir, '.pipewright');
    const { port } = JSON.parse(readFileSync(path.join(stateDir, 'postgres', 'server.json'), 'utf8')) as { port: number };
    const client = new pg.Client({
      host: '127.0.0.1',
      port,
      user: LOCAL_SUPERUSER,
      password: await SecretStore.forProject(stateDir).get(LOCAL_POSTGRES_SECRET),
      database: 'pipewright',
    });
    await client.connect();
    try {
      assert.equal((await client.query<{ n: string }>('select count(*) as n from public.by_customer')).rows[0]?.n, String(CUSTOMERS));
    } finally {
      await client.end();
    }
    const endpoint = (name: string) =>
      (JSON.parse(readFileSync(path.join(stateDir, `${name}-emulator.json`), 'utf8')) as { endpoint: string }).endpoint;
    const [objects] = await new Storage({ apiEndpoint: endpoint('gcs'), projectId: 'pipewright-local' }).bucket('shop-exports').getFiles();
    assert.ok(objects.some((o) => o.name.startsWith('by_customer.parquet')));
    const bigquery = await createBigQueryClient({ endpoint: endpoint('bigquery'), project_id: 'pipewright-local' }, dir, {});
    const [rows] = await bigquery.query('SELECT count(*) AS n FROM pipewright_exports.by_customer');
    assert.equal(Number((rows[0] as { n: unknown }).n), CUSTOMERS);

    // 5. History, and a re-run from there. Each status is read on the page of its own run (its id in the region's
    // name): the re-run's page replaces one that already says "succeeded".
    const statusOfRun = (runId: string) =>
      page.getByRole('region', { name: `Run ${runId}`, exact: true }).getByRole('status', { name: 'Status of this run' });
    await act.click(page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: 'History' }));
    await act.click(
      page
        .getByRole('table', { name: 'Runs' })
        .getByRole('link', { name: /^Run .* of orders$/ })
        .first(),
    );
    await statusOfRun(pipelineRun.id).filter({ hasText: 'succeeded' }).waitFor();
    await act.click(page.getByRole('button', { name: 'Re-run' }));
    const rerun = await waitForNewRunToFinish(page, 'orders', pipelineRun.id, 90_000);
    assert.equal(rerun.status, 'succeeded', `re-run ${rerun.id}: ${rerun.error?.message ?? ''}`);
    await statusOfRun(rerun.id).filter({ hasText: 'succeeded' }).waitFor();
    await shot('3-history-rerun');
    await noErrorToast('the re-run');
    t.diagnostic(
      `the walk took ${((Date.now() - started) / 1000).toFixed(1)} s, ${act.tally.clicks} clicks and ${act.tally.keys} keystrokes`,
    );
  } finally {
    const code = await app.close();
    await files.close();
    rmSync(root, { recursive: true, force: true });
    assert.equal(code, 0, app.output());
  }
});
