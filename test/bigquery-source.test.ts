import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { BlockKind } from '../main/model/block-kind.ts';
import { UserError } from '../main/model/errors.ts';
import { bigqueryExport } from '../main/blocks/bigquery-export.ts';
import { bigquerySource } from '../main/blocks/bigquery-source.ts';
import { createBlockHarness, type BlockHarness } from './helpers/block-context.ts';
import { startBigQueryFixture, type BigQueryFixture } from './helpers/bigquery.ts';
import { querySource } from './helpers/test-kinds.ts';

const TRIPS = `SELECT range AS id, DATE '2021-01-01' + (range % 3)::INTEGER AS pickup_date,
  TIMESTAMP '2021-01-01 00:00:00.123456' + INTERVAL (range) MINUTE AS picked_at, (range * 0.5)::DECIMAL(12,2) AS fare,
  range * 1.5::DOUBLE AS distance, range % 2 = 0 AS paid, CASE WHEN range % 10 = 0 THEN NULL ELSE 'v' || range END AS vendor,
  encode('x' || range) AS raw, {'zone': range % 7, 'name': 'z' || range} AS place, [range, range + 1] AS pair FROM range(1000)`;

let harness: BlockHarness;
let bq: BigQueryFixture;
let runs = 0;

before(async () => {
  harness = await createBlockHarness();
  bq = await startBigQueryFixture();
  await harness.run(querySource, { id: 'trips', config: { sql: TRIPS } });
  await harness.run(bigqueryExport, {
    id: 'to_bq',
    upstream: ['trips'],
    config: { endpoint: bq.endpoint, project_id: 'test-project', dataset: 'taxi', table: 'trips', poll_interval_ms: 50 },
  });
});
after(async () => {
  await bq.close();
  await harness.close();
});
beforeEach(async () => {
  await bq.resetFaults();
});

function readQuery(id: string, query: string, extra: Record<string, unknown> = {}) {
  const kind: BlockKind<unknown> = {
    ...bigquerySource,
    run: (ctx, config) => bigquerySource.run({ ...ctx, runId: `src-${++runs}` }, config as never),
  } as BlockKind<unknown>;
  return harness.attempt(kind, {
    id,
    config: { endpoint: bq.endpoint, project_id: 'test-project', query, poll_interval_ms: 50, retry: { max_delay_seconds: 1 }, ...extra },
  });
}

describe('source/bigquery', () => {
  test('pages a query result into DuckDB with BigQuery types mapped back', async () => {
    const run = await readQuery('from_bq', 'SELECT * FROM `test-project.taxi.trips` ORDER BY id', { page_size: 400 });
    assert.equal(run.error, undefined);
    assert.equal(run.outcome?.rowsOut, 1000);
    assert.equal((await bq.counts()).requests['jobs.getQueryResults'], 3, '1000 rows in pages of 400');
    const types = await harness.query('DESCRIBE SELECT * FROM from_bq', ['from_bq']);
    assert.deepEqual(
      types.map((t) => `${t.column_name} ${t.column_type}`),
      [
        'id BIGINT',
        'pickup_date DATE',
        'picked_at TIMESTAMP',
        'fare DECIMAL(38,9)',
        'distance DOUBLE',
        'paid BOOLEAN',
        'vendor VARCHAR',
        'raw BLOB',
        'place STRUCT("zone" BIGINT, "name" VARCHAR)',
        'pair BIGINT[]',
      ],
    );
    const differences = await harness.query(
      `SELECT count(*)::INTEGER AS n FROM (
      (SELECT * REPLACE (CAST(fare AS DECIMAL(38,9)) AS fare) FROM trips EXCEPT ALL SELECT * FROM from_bq)
      UNION ALL (SELECT * FROM from_bq EXCEPT ALL SELECT * REPLACE (CAST(fare AS DECIMAL(38,9)) AS fare) FROM trips))`,
      ['trips', 'from_bq'],
    );
    assert.deepEqual(differences, [{ n: 0 }], 'every value came back, microseconds and NULLs included');
  });

  test('an empty result still gives typed columns', async () => {
    const run = await readQuery('empty', 'SELECT id, picked_at FROM taxi.trips WHERE id < 0');
    assert.equal(run.error, undefined);
    assert.equal(run.outcome?.rowsOut, 0);
    const types = await harness.query('DESCRIBE SELECT * FROM empty', ['empty']);
    assert.deepEqual(
      types.map((t) => `${t.column_name} ${t.column_type}`),
      ['id BIGINT', 'picked_at TIMESTAMP'],
    );
  });

  test("a failing query surfaces BigQuery's error as a user error", async () => {
    const run = await readQuery('broken', 'SELECT no_such_column FROM taxi.trips');
    assert.ok(run.error instanceof UserError);
    assert.match(run.error.message, /BigQuery job pipewright_src-\d+_broken_a1 failed: invalidQuery: .*no_such_column/);
    const missing = await readQuery('no_query', '');
    assert.match((missing.error as Error).message, /config\.query/);
  });

  test('429 bursts on job polling and result pages are retried by the client', async () => {
    await bq.fault({ operation: 'jobs.get', times: 1, action: { status: 429 } });
    await bq.fault({ operation: 'jobs.getQueryResults', times: 1, action: { status: 503 } });
    const run = await readQuery('flaky', 'SELECT count(*) AS n FROM taxi.trips');
    assert.equal(run.error, undefined);
    assert.deepEqual(await harness.query('SELECT n FROM flaky', ['flaky']), [{ n: 1000n }]);
    assert.equal((await bq.counts()).pending, 0);
  });
});
