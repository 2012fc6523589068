import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { stringify } from 'yaml';
import { createTempProject, type TempProject } from './helpers/temp-project.ts';
import { openApp, type AppUnderTest } from './helpers/app.ts';
import { waitUntil } from './helpers/wait-until.ts';
import { startBigQueryFixture, type BigQueryFixture } from './helpers/bigquery.ts';

// issue #15, part 4: the canvas shows where each block's data lives, marks the edges where it moves between engines,
// and "Bring local" is one click in a warehouse block's menu.

let temp: TempProject;
let bq: BigQueryFixture;
let app: AppUnderTest;
let page: Page;

before(async () => {
  bq = await startBigQueryFixture();
  temp = createTempProject({ default_connections: { bigquery: 'bq' } });
  temp.writeFile(
    'connections.yaml',
    stringify({ bq: { type: 'bigquery', endpoint: bq.endpoint, project_id: 'test-project', credentials: 'none' } }),
  );
  temp.writeFile('data/raw.csv', `day,fare\n${Array.from({ length: 50 }, (_, i) => `2021-01-0${(i % 3) + 1},${i}.5`).join('\n')}\n`);
  temp.writeFile('blocks/daily.sql', 'select day, count(*) as trips from trips group by day\n');
  temp.writePipeline('w', {
    blocks: [
      { id: 'raw', type: 'source', kind: 'local_file', config: { path: 'data/raw.csv' } },
      { id: 'raw_to_bq', type: 'export', kind: 'bigquery', upstream: ['raw'], config: { dataset: 'ny_taxi', table: 'raw' } },
      {
        id: 'trips',
        type: 'source',
        kind: 'table',
        engine: 'bigquery',
        upstream: ['raw_to_bq'],
        config: { table: 'test-project.ny_taxi.raw' },
      },
      { id: 'daily', type: 'transform', kind: 'sql', engine: 'bigquery', file: 'blocks/daily.sql', upstream: ['trips'] },
    ],
  });
  app = await openApp(temp.dir, { viewport: { width: 1400, height: 900 } });
  page = app.page;
});

after(async () => {
  const code = await app?.close();
  await bq?.close();
  temp?.cleanup();
  assert.equal(code, 0, `the app should stop cleanly:\n${app?.output()}`);
});

const node = (name: string) => page.getByRole('button', { name, exact: true });

test('warehouse blocks carry an engine badge and the edge into a BigQuery export is labelled as a crossing', async () => {
  await node('daily').waitFor();
  assert.equal(await node('daily').getByTitle('Runs in BigQuery').textContent(), 'BigQuery');
  assert.equal(await node('trips').getByTitle('Runs in BigQuery').count(), 1);
  assert.equal(
    await node('raw')
      .getByTitle(/^Runs in/)
      .count(),
    0,
    'local blocks have no badge',
  );
  const crossing = page.locator('.react-flow__edge.crosses-engines');
  assert.equal(await crossing.count(), 1);
  assert.match((await crossing.getAttribute('aria-label')) ?? '', /from raw to raw_to_bq, data moves DuckDB → BigQuery/);
});

test('a run shows the bytes the BigQuery job processed on the node', async () => {
  await page.getByRole('button', { name: 'Run pipeline' }).click();
  await node('daily')
    .getByText(/ processed$/)
    .waitFor({ timeout: 60_000 });
  assert.match(
    (await node('daily').getByTitle('Bytes the BigQuery job processed').textContent()) ?? '',
    /^\d+(\.\d)? (B|KB|MB) processed$/,
  );
});

test('"Bring local" on a BigQuery block adds a BigQuery source reading its table', async () => {
  await node('daily').click({ button: 'right' });
  assert.equal(await page.getByRole('menuitem', { name: /^Export to/ }).count(), 0, 'a warehouse block offers no local export');
  await page.getByRole('menuitem', { name: 'Bring local' }).click();
  await node('daily_local').waitFor();
  const file = () => readFileSync(path.join(temp.dir, 'pipelines/w/pipeline.yaml'), 'utf8');
  await waitUntil(() => file().includes('daily_local'), { what: 'pipeline.yaml to get the new source' });
  assert.match(file(), /id: daily_local\n\s+type: source\n\s+kind: bigquery[\s\S]*query: select \* from `w\.daily`/);
});
