import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BlockKind } from '../main/model/block-kind.ts';
import { OperationalError, UserError } from '../main/model/errors.ts';
import { bigqueryExport } from '../main/blocks/bigquery-export.ts';
import { gcsExport } from '../main/blocks/gcs-export.ts';
import { createBlockHarness, type BlockHarness } from './helpers/block-context.ts';
import { startBigQueryFixture, type BigQueryFixture } from './helpers/bigquery.ts';
import { startGcsFixture, type GcsFixture } from './helpers/gcs.ts';
import { querySource } from './helpers/test-kinds.ts';

/** A source whose output is any SELECT, to give the export a known upstream. */

const TRIPS = `SELECT range::INTEGER AS id, DATE '2021-01-01' + (range % 3)::INTEGER AS pickup_date,
  TIMESTAMP '2021-01-01 00:00:00' + INTERVAL (range) MINUTE AS picked_at, (range * 0.5)::DECIMAL(10,2) AS fare,
  (range * 0.5)::DECIMAL(38,12) AS precise, range * 1.5::DOUBLE AS distance, range % 2 = 0 AS paid, 'v' || (range % 5) AS vendor,
  encode('x' || range) AS raw, {'zone': range % 7, 'name': 'z' || range} AS place, [range, range + 1] AS pair FROM range(5000)`;

let harness: BlockHarness;
let gcs: GcsFixture;
let bq: BigQueryFixture;
let runs = 0;

before(async () => {
  harness = await createBlockHarness();
  gcs = await startGcsFixture();
  bq = await startBigQueryFixture({ gcsDataDir: gcs.root });
  await harness.run(querySource, { id: 'trips', config: { sql: TRIPS } });
});
after(async () => {
  await bq.close();
  await gcs.close();
  await harness.close();
});
beforeEach(async () => {
  await bq.resetFaults();
});

/** The export under a fresh run id each time (the harness keeps one), as separate engine runs would be. */
function asNewRun<C>(kind: BlockKind<C>, runId = `run-${++runs}`): BlockKind<C> {
  return { ...kind, run: (ctx, config) => kind.run({ ...ctx, runId, originRunId: runId }, config) };
}

function exportTo(table: string, config: Record<string, unknown> = {}, opts: { upstream?: string[]; runId?: string } = {}) {
  const settings = {
    endpoint: bq.endpoint,
    project_id: 'test-project',
    dataset: 'taxi',
    table,
    retry: { max_delay_seconds: 1 },
    poll_interval_ms: 50,
  };
  return harness.attempt(asNewRun(bigqueryExport, opts.runId), {
    id: 'to_bq',
    upstream: opts.upstream ?? ['trips'],
    config: { ...settings, ...config },
  });
}

async function count(table: string): Promise<number> {
  const [rows] = await bq.bigquery.query(`SELECT count(*) AS n FROM \`test-project.taxi.${table}\``);
  return Number(rows[0].n);
}

async function fieldsOf(table: string): Promise<string[]> {
  const [meta] = await bq.bigquery.dataset('taxi').table(table).getMetadata();
  const describe = (f: { name: string; type: string; mode?: string; fields?: unknown[] }): string =>
    `${f.name} ${f.type}${f.mode === 'REPEATED' ? ' REPEATED' : ''}${f.fields ? `<${(f.fields as (typeof f)[]).map(describe).join(', ')}>` : ''}`;
  return meta.schema.fields.map(describe);
}

describe('export/bigquery', () => {
  test('uploads the output with an explicit schema: timestamps as TIMESTAMP, decimals as NUMERIC/BIGNUMERIC, every row', async () => {
    const run = await exportTo('typed', { time_partitioning: { field: 'pickup_date' }, clustering: ['vendor'] });
    assert.equal(run.error, undefined);
    assert.deepEqual(await fieldsOf('typed'), [
      'id INTEGER',
      'pickup_date DATE',
      'picked_at TIMESTAMP',
      'fare NUMERIC',
      'precise BIGNUMERIC',
      'distance FLOAT',
      'paid BOOLEAN',
      'vendor STRING',
      'raw BYTES',
      'place RECORD<zone INTEGER, name STRING>',
      'pair INTEGER REPEATED',
    ]);
    assert.equal(await count('typed'), 5000);
    const [meta] = await bq.bigquery.dataset('taxi').table('typed').getMetadata();
    assert.deepEqual(meta.timePartitioning, { type: 'DAY', field: 'pickup_date' });
    assert.deepEqual(meta.clustering, { fields: ['vendor'] });
    const [rows] = await bq.bigquery.query('SELECT picked_at, fare FROM taxi.typed WHERE id = 61');
    assert.equal(rows[0].picked_at.value, '2021-01-01T01:01:00.000Z');
    assert.equal(String(rows[0].fare), '30.5');
    assert.deepEqual(run.outcome, { rowsIn: 5000, rowsOut: 5000, bytes: run.outcome?.bytes, hasOutput: false });
    const jobId = /BigQuery job (pipewright_run-\d+_to_bq_[0-9a-f]{16}_t1)$/.exec(
      run.logs.find((l) => l.message.includes('loaded 5,000 rows into test-project.taxi.typed'))?.message ?? '',
    )?.[1];
    assert.ok(jobId, 'the log names the table and the job');
    assert.ok(run.progress.some((p) => p.phase === 'load job done'));
    const [job] = await bq.bigquery.job(jobId).getMetadata();
    assert.equal(job.statistics.load.outputRows, '5000');
  });

  test('three runs in truncate mode leave exactly one copy of the rows', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await exportTo('thrice')).error, undefined);
    assert.equal(await count('thrice'), 5000);
  });

  test('append adds rows; empty refuses a table that has rows, before uploading anything', async () => {
    await exportTo('appended');
    assert.equal((await exportTo('appended', { write_disposition: 'append' })).error, undefined);
    assert.equal(await count('appended'), 10000);
    await bq.resetFaults();
    const run = await exportTo('appended', { write_disposition: 'empty' });
    assert.ok(run.error instanceof UserError);
    assert.match(run.error.message, /already has 10000 rows; write_disposition empty/);
    assert.equal((await bq.counts()).requests['jobs.upload'], undefined, 'nothing was uploaded');
    assert.equal((await exportTo('fresh_empty', { write_disposition: 'empty' })).error, undefined);
  });

  test('append to a table with another schema fails naming the columns', async () => {
    await harness.run(querySource, { id: 'other', config: { sql: 'SELECT range::VARCHAR AS id, range AS extra FROM range(3)' } });
    await exportTo('mismatch', {}, { upstream: ['other'] });
    const run = await exportTo('mismatch', { write_disposition: 'append' });
    assert.ok(run.error instanceof UserError);
    assert.match(
      run.error.message,
      /cannot append to taxi\.mismatch: .*id: INTEGER here, STRING in the table; pickup_date: not in the table/,
    );
  });

  test('refuses dataset, table and column names BigQuery would reject, before any request', async () => {
    const badDataset = await exportTo('t', { dataset: 'my-dataset' });
    assert.ok(badDataset.error instanceof UserError);
    assert.match(
      badDataset.error.message,
      /dataset "my-dataset" would be refused by BigQuery: dataset names use only letters, digits and underscores/,
    );
    const badTable = await exportTo('trips/2021');
    assert.match((badTable.error as Error).message, /table "trips\/2021" would be refused by BigQuery: table names use only letters/);
    await harness.run(querySource, { id: 'badcols', config: { sql: 'SELECT 1 AS "1st", 2 AS ok' } });
    const badColumn = await exportTo('cols', {}, { upstream: ['badcols'] });
    assert.match(
      (badColumn.error as Error).message,
      /column "1st": column names use letters, digits and underscores, and do not start with a digit/,
    );
    assert.deepEqual((await bq.counts()).requests, {}, 'no request reached BigQuery');
  });

  test('a missing key file fails with a message naming the file', async () => {
    const run = await exportTo('t', { credentials: { key_file: 'keys/missing.json' } });
    assert.ok(run.error instanceof UserError);
    assert.match(run.error.message, /cannot read the service-account key keys\/missing\.json .*ENOENT/);
    assert.equal(run.error.place.path, 'config.credentials.key_file');
  });

  test('loads the partitioned Parquet a gcs export wrote, with the partition column back as a DATE', async () => {
    const gcsConfig = {
      endpoint: gcs.emulator.url,
      project_id: 'test-project',
      bucket: 'lake',
      create_bucket: true,
      path: 'nyc_taxi_data',
      partition_by: ['pickup_date'],
      retry: { max_delay_seconds: 1 },
    };
    const oneObject = { ...gcsConfig, path: 'nyc_taxi_data.parquet', partition_by: undefined };
    mkdirSync(path.join(harness.dir, 'pipelines', 'p'), { recursive: true });
    writeFileSync(
      path.join(harness.dir, 'pipelines', 'p', 'pipeline.yaml'),
      JSON.stringify({
        blocks: [
          { id: 'trips', type: 'source', kind: 'test_query', config: { sql: 'SELECT 1' } },
          { id: 'to_gcs', type: 'export', kind: 'gcs', upstream: ['trips'], config: gcsConfig },
          { id: 'to_gcs_one', type: 'export', kind: 'gcs', upstream: ['trips'], config: oneObject },
        ],
      }),
    );
    // The engine opens a block's session over its upstream outputs, and an export has none: until sessions skip
    // export upstreams (see the report), to_gcs gets a placeholder output so the BigQuery block can name it upstream.
    await harness.run(querySource, { id: 'to_gcs', config: { sql: 'SELECT 1 AS placeholder' } });
    assert.equal((await harness.attempt(gcsExport, { id: 'to_gcs', upstream: ['trips'], config: gcsConfig })).error, undefined);
    const runs3 = [];
    for (let i = 0; i < 3; i++) runs3.push(await exportTo('from_lake', { source: { from_gcs_block: 'to_gcs' } }, { upstream: ['to_gcs'] }));
    assert.deepEqual(
      runs3.map((r) => r.error),
      [undefined, undefined, undefined],
    );
    assert.deepEqual((await fieldsOf('from_lake')).slice(-2), ['pair INTEGER REPEATED', 'pickup_date DATE']);
    assert.ok((await fieldsOf('from_lake')).includes('picked_at TIMESTAMP'));
    const [perDay] = await bq.bigquery.query(
      'SELECT CAST(pickup_date AS STRING) AS day, count(*) AS n FROM taxi.from_lake GROUP BY 1 ORDER BY 1',
    );
    assert.deepEqual(perDay, [
      { day: '2021-01-01', n: 1667 },
      { day: '2021-01-02', n: 1667 },
      { day: '2021-01-03', n: 1666 },
    ]);
    assert.equal(runs3[2]!.outcome?.rowsOut, 5000);
    assert.ok(runs3[0]!.logs.some((l) => l.message.includes('from 3 objects under gs://lake/nyc_taxi_data/ (written by to_gcs)')));
    // A single object: no hive folders, the column stays inside the file.
    await harness.run(querySource, { id: 'to_gcs_one', config: { sql: 'SELECT 1 AS placeholder' } });
    assert.equal((await harness.attempt(gcsExport, { id: 'to_gcs_one', upstream: ['trips'], config: oneObject })).error, undefined);
    const single = await exportTo('from_one', { source: { from_gcs_block: 'to_gcs_one' } }, { upstream: ['to_gcs_one'] });
    assert.equal(single.error, undefined);
    assert.deepEqual((await fieldsOf('from_one')).slice(0, 3), ['id INTEGER', 'pickup_date DATE', 'picked_at TIMESTAMP']);
    assert.equal(await count('from_one'), 5000);
  });

  test('a 503 on the upload is retried with the same job id and loads the rows once', async () => {
    await exportTo('retried_upload');
    await bq.fault({ operation: 'jobs.upload', times: 1, action: { status: 503 } });
    const run = await exportTo('retried_upload', { write_disposition: 'append' });
    assert.equal(run.error, undefined);
    assert.equal((await bq.counts()).fired['jobs.upload'], 1);
    assert.equal(await count('retried_upload'), 10000);
  });

  test('a connection dropped after the upload landed: the retry gets 409, follows that job, nothing doubled', async () => {
    await exportTo('dropped');
    await bq.fault({ operation: 'jobs.upload', times: 1, action: { resetAfterCommit: true } });
    const run = await exportTo('dropped', { write_disposition: 'append' });
    assert.equal(run.error, undefined);
    assert.ok(run.logs.some((l) => l.message.includes('already exists') && l.message.includes('following it')));
    assert.equal(await count('dropped'), 10000, 'appended exactly once');
  });

  test('503 and a lost reply on the gs:// job insert, and 429 bursts on polling, end in one load', async () => {
    await bq.fault({ operation: 'jobs.insert', times: 1, action: { status: 503 } });
    await bq.fault({ operation: 'jobs.insert', times: 1, action: { resetAfterCommit: true } });
    await bq.fault({ operation: 'jobs.get', times: 2, action: { status: 429 } });
    const run = await exportTo(
      'from_lake_faults',
      { source: { from_gcs_block: 'to_gcs' }, write_disposition: 'append' },
      { upstream: ['to_gcs'] },
    );
    assert.equal(run.error, undefined);
    const counts = await bq.counts();
    assert.deepEqual([counts.fired['jobs.insert'], counts.fired['jobs.get'], counts.pending], [2, 2, 0]);
    assert.equal(await count('from_lake_faults'), 5000);
  });

  test('a job that ends with errorResult fails the block quoting BigQuery verbatim', async () => {
    await bq.fault({
      operation: 'jobs.upload',
      times: 1,
      action: { failJob: { reason: 'backendError', message: 'Error encountered during execution. Retrying may solve the problem.' } },
    });
    const run = await exportTo('failing');
    assert.ok(run.error instanceof OperationalError, 'backendError is worth retrying');
    assert.match(
      run.error.message,
      /BigQuery job pipewright_run-\d+_to_bq_[0-9a-f]{16}_t1 failed: backendError: Error encountered during execution\. Retrying may solve the problem\./,
    );
  });
});
