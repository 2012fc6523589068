import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { stringify } from 'yaml';
import { createTempProject, type TempProject } from './helpers/temp-project.ts';
import { openApp, type AppUnderTest } from './helpers/app.ts';
import { waitUntil } from './helpers/wait-until.ts';

// issue #15, part 4: the canvas shows where each block's data lives, marks the edges where it moves between engines,
// and "Bring local" is one click in a warehouse block's menu.

let temp: TempProject;
let app: AppUnderTest;
let page: Page;

before(async () => {
  temp = createTempProject({ default_connections: { postgres: 'pg', bigquery: 'bq' } });
  temp.writeFile('connections.yaml', stringify({ pg: { type: 'postgres', host: '127.0.0.1', port: 5432, user: 'u', database: 'd' }, bq: { type: 'local_bigquery' } }));
  temp.writeFile('blocks/daily.sql', 'select day, count(*) as trips from trips group by day\n');
  temp.writePipeline('w', {
    blocks: [
      { id: 'raw', type: 'source', kind: 'local_file', config: { path: 'data/raw.csv' } },
      { id: 'raw_to_bq', type: 'export', kind: 'bigquery', upstream: ['raw'], config: { dataset: 'ny_taxi', table: 'raw' } },
      { id: 'trips', type: 'source', kind: 'table', engine: 'postgres', config: { table: 'ny_taxi.trips' } },
      { id: 'daily', type: 'transform', kind: 'sql', engine: 'postgres', file: 'blocks/daily.sql', upstream: ['trips'] },
    ],
  });
  app = await openApp(temp.dir, { viewport: { width: 1400, height: 900 } });
  page = app.page;
});

after(async () => {
  const code = await app?.close();
  temp?.cleanup();
  assert.equal(code, 0, `the app should stop cleanly:\n${app?.output()}`);
});

const node = (name: string) => page.getByRole('button', { name, exact: true });

test('warehouse blocks carry an engine badge and the edge into a BigQuery export is labelled as a crossing', async () => {
  await node('daily').waitFor();
  assert.equal(await node('daily').getByTitle('Runs in Postgres').textContent(), 'Postgres');
  assert.equal(await node('trips').getByTitle('Runs in Postgres').count(), 1);
  assert.equal(await node('raw').getByTitle(/^Runs in/).count(), 0, 'local blocks have no badge');
  const crossing = page.locator('.react-flow__edge.crosses-engines');
  assert.equal(await crossing.count(), 1);
  assert.match(await crossing.getAttribute('aria-label') ?? '', /from raw to raw_to_bq, data moves DuckDB → BigQuery/);
});

test('"Bring local" on a Postgres block adds a Postgres source reading its table', async () => {
  await node('daily').click({ button: 'right' });
  assert.equal(await page.getByRole('menuitem', { name: /^Export to/ }).count(), 0, 'a warehouse block offers no local export');
  await page.getByRole('menuitem', { name: 'Bring local' }).click();
  await node('daily_local').waitFor();
  const file = () => readFileSync(path.join(temp.dir, 'pipelines/w/pipeline.yaml'), 'utf8');
  await waitUntil(() => file().includes('daily_local'), { what: 'pipeline.yaml to get the new source' });
  assert.match(file(), /id: daily_local\n\s+type: source\n\s+kind: postgres[\s\S]*query: select \* from w\.daily/);
});
