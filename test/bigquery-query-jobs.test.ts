/**
 * Query jobs of the BigQuery emulator as push-down uses them, through the official client over HTTP: destination
 * tables and dispositions, DDL, dry runs and bytes, cancel, labels, paging. Each test names the Google page it
 * follows; the emulator was written from these pages, not from our push-down code.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { JobMetadata, Query, TableMetadata } from '@google-cloud/bigquery';
import { startBigQueryFixture, type BigQueryFixture } from './helpers/bigquery.ts';

let bq: BigQueryFixture;

const TRIP_COUNT = 1000;
// 1000 trips: vendor 'v0'..'v2' (2 characters), a FLOAT64 fare, a TIMESTAMP and a DATE.
const TRIPS = `SELECT range::BIGINT AS id, 'v' || (range % 3) AS vendor, (range * 0.5)::DOUBLE AS fare,
  TIMESTAMPTZ '2021-01-01 00:00:00+00' + INTERVAL (range) HOUR AS picked_at, DATE '2021-01-01' + (range // 24)::INTEGER AS pickup_date FROM range(${TRIP_COUNT})`;
const TRIPS_SCHEMA = [
  { name: 'id', type: 'INTEGER' }, { name: 'vendor', type: 'STRING' }, { name: 'fare', type: 'FLOAT' },
  { name: 'picked_at', type: 'TIMESTAMP' }, { name: 'pickup_date', type: 'DATE' },
];

before(async () => {
  bq = await startBigQueryFixture();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-bq-query-'));
  const file = path.join(dir, 'trips.parquet');
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  await conn.run(`SET TimeZone = 'UTC'; COPY (${TRIPS}) TO '${file}' (FORMAT parquet)`);
  conn.closeSync();
  instance.closeSync();
  await bq.bigquery.createDataset('wh');
  await bq.bigquery.dataset('wh').table('trips').load(file, { sourceFormat: 'PARQUET', schema: { fields: TRIPS_SCHEMA } });
});
after(async () => {
  await bq.close();
});

/** Runs a query job to DONE and answers its final resource. */
async function run(query: string, options: Omit<Query, 'query'> = {}): Promise<JobMetadata> {
  const [job] = await bq.bigquery.createQueryJob({ query, ...options });
  await job.promise();
  const [meta] = await job.getMetadata();
  return meta;
}

/** Runs a query job that must fail, and answers its errorResult. */
async function failure(query: string, options: Omit<Query, 'query'> = {}): Promise<{ reason: string; message: string }> {
  const [job] = await bq.bigquery.createQueryJob({ query, ...options });
  await assert.rejects(job.promise());
  const [meta] = await job.getMetadata();
  assert.equal(meta.status?.state, 'DONE');
  return meta.status?.errorResult as { reason: string; message: string };
}

async function tableMeta(tableId: string): Promise<TableMetadata> {
  return (await bq.bigquery.dataset('wh').table(tableId).getMetadata())[0];
}

async function ids(tableId: string): Promise<number[]> {
  const [rows] = await bq.bigquery.dataset('wh').table(tableId).getRows();
  return rows.map((r) => Number(r.id));
}

describe('query jobs with a destination table', () => {
  // https://cloud.google.com/bigquery/docs/reference/rest/v2/Job#JobConfigurationQuery (destinationTable, writeDisposition, createDisposition)
  test('WRITE_TRUNCATE replaces, WRITE_APPEND adds, WRITE_EMPTY refuses a table with data, CREATE_NEVER needs the table', async () => {
    const destination = bq.bigquery.dataset('wh').table('cheap');
    await run('SELECT id, vendor FROM wh.trips WHERE id < 3', { destination, writeDisposition: 'WRITE_TRUNCATE' });
    assert.deepEqual(await ids('cheap'), [0, 1, 2]);
    await run('SELECT id, vendor FROM wh.trips WHERE id BETWEEN 10 AND 11', { destination, writeDisposition: 'WRITE_APPEND' });
    assert.deepEqual(await ids('cheap'), [0, 1, 2, 10, 11]);
    const duplicate = await failure('SELECT id, vendor FROM wh.trips WHERE id = 5', { destination });
    assert.deepEqual(duplicate, { reason: 'duplicate', message: 'Already Exists: Table test-project:wh.cheap' });
    await run('SELECT id FROM wh.trips WHERE id = 7', { destination, writeDisposition: 'WRITE_TRUNCATE' });
    assert.deepEqual(await ids('cheap'), [7]);
    assert.deepEqual((await tableMeta('cheap')).schema?.fields?.map((f) => f.name), ['id'], 'WRITE_TRUNCATE takes the schema of the query result');
    const missing = await failure('SELECT 1 AS id', { destination: bq.bigquery.dataset('wh').table('never_made'), createDisposition: 'CREATE_NEVER' });
    assert.deepEqual(missing, { reason: 'notFound', message: 'Not found: Table test-project:wh.never_made' });
    assert.equal((await bq.bigquery.dataset('wh').table('never_made').exists())[0], false);
  });

  // https://cloud.google.com/bigquery/docs/reference/rest/v2/tables#Table (numRows, numBytes) and
  // https://cloud.google.com/bigquery/docs/storage_overview#data_type_sizes (logical bytes per type)
  test('tables.get reports the result schema, numRows and numBytes in logical bytes', async () => {
    await run('SELECT id, vendor, fare, pickup_date FROM wh.trips WHERE id < 100', { destination: bq.bigquery.dataset('wh').table('sized'), writeDisposition: 'WRITE_TRUNCATE' });
    const meta = await tableMeta('sized');
    assert.deepEqual(meta.schema?.fields?.map((f) => `${f.name} ${f.type}`), ['id INTEGER', 'vendor STRING', 'fare FLOAT', 'pickup_date DATE']);
    assert.equal(meta.numRows, '100');
    // INT64, FLOAT64 and DATE are 8 bytes; a STRING is 2 bytes plus its UTF-8 length ('v0' → 4).
    assert.equal(meta.numBytes, String(100 * (8 + (2 + 2) + 8 + 8)));
  });

  test('a failed query leaves its destination as it was', async () => {
    const destination = bq.bigquery.dataset('wh').table('kept');
    await run('SELECT id FROM wh.trips WHERE id < 2', { destination, writeDisposition: 'WRITE_TRUNCATE' });
    const error = await failure('SELECT id, no_such_column FROM wh.trips', { destination, writeDisposition: 'WRITE_TRUNCATE' });
    assert.equal(error.reason, 'invalidQuery');
    assert.match(error.message, /no_such_column/);
    assert.deepEqual(await ids('kept'), [0, 1]);
    const [tables] = await bq.bigquery.dataset('wh').getTables();
    assert.ok(!tables.some((t) => t.id?.startsWith('_pw_stage')), 'no staging table is left behind');
  });

  test('getQueryResults of a destination job pages the destination table', async () => {
    const [job] = await bq.bigquery.createQueryJob({ query: 'SELECT id FROM wh.trips WHERE id < 25 ORDER BY id DESC', destination: bq.bigquery.dataset('wh').table('ordered'), writeDisposition: 'WRITE_TRUNCATE' });
    const [first, next] = (await job.getQueryResults({ maxResults: 10, autoPaginate: false })) as unknown as [{ id: number }[], Record<string, unknown> | null];
    assert.deepEqual(first.map((r) => r.id), [24, 23, 22, 21, 20, 19, 18, 17, 16, 15]);
    assert.ok(next?.pageToken);
  });
});

describe('DDL in query jobs', () => {
  // https://cloud.google.com/bigquery/docs/reference/standard-sql/data-definition-language#create_table_statement and
  // https://cloud.google.com/bigquery/docs/reference/rest/v2/Job#JobStatistics2 (statementType, ddlOperationPerformed)
  test('CREATE TABLE … AS SELECT records PARTITION BY and CLUSTER BY; OR REPLACE replaces, IF NOT EXISTS skips, a plain CREATE of an existing table fails', async () => {
    const created = await run('CREATE TABLE wh.daily PARTITION BY DATE(picked_at) CLUSTER BY vendor AS SELECT vendor, picked_at, fare FROM `test-project.wh.trips` WHERE fare > 400');
    assert.equal(created.statistics?.query?.statementType, 'CREATE_TABLE_AS_SELECT');
    assert.equal(created.statistics?.query?.ddlOperationPerformed, 'CREATE');
    assert.deepEqual(created.statistics?.query?.ddlTargetTable, { projectId: 'test-project', datasetId: 'wh', tableId: 'daily' });
    const meta = await tableMeta('daily');
    assert.deepEqual(meta.timePartitioning, { type: 'DAY', field: 'picked_at' });
    assert.deepEqual(meta.clustering, { fields: ['vendor'] });
    assert.equal(meta.numRows, String(TRIP_COUNT - 801));

    const replaced = await run('CREATE OR REPLACE TABLE wh.daily PARTITION BY pickup_date AS SELECT id, pickup_date FROM wh.trips WHERE id < 5');
    assert.equal(replaced.statistics?.query?.ddlOperationPerformed, 'REPLACE');
    assert.deepEqual(await ids('daily'), [0, 1, 2, 3, 4]);
    assert.deepEqual((await tableMeta('daily')).timePartitioning, { type: 'DAY', field: 'pickup_date' });

    const skipped = await run('CREATE TABLE IF NOT EXISTS wh.daily AS SELECT 1 AS id');
    assert.equal(skipped.statistics?.query?.ddlOperationPerformed, 'SKIP');
    assert.deepEqual(await ids('daily'), [0, 1, 2, 3, 4]);
    assert.deepEqual(await failure('CREATE TABLE wh.daily AS SELECT 1 AS id'), { reason: 'duplicate', message: 'Already Exists: Table test-project:wh.daily' });
  });

  // https://cloud.google.com/bigquery/docs/reference/standard-sql/data-definition-language#drop_table_statement
  test('CREATE TABLE with a column list makes an empty typed table; DROP TABLE drops it; IF EXISTS skips a missing one', async () => {
    const created = await run('CREATE TABLE wh.typed (id INT64 NOT NULL, tags ARRAY<STRING>, trip STRUCT<fare NUMERIC, at TIMESTAMP>, note STRING(20)) PARTITION BY RANGE_BUCKET(id, GENERATE_ARRAY(0, 100, 10)) OPTIONS (description = "typed")');
    assert.equal(created.statistics?.query?.statementType, 'CREATE_TABLE');
    const meta = await tableMeta('typed');
    assert.deepEqual(meta.schema?.fields?.map((f) => `${f.name} ${f.type} ${f.mode}`), ['id INTEGER REQUIRED', 'tags STRING REPEATED', 'trip RECORD NULLABLE', 'note STRING NULLABLE']);
    assert.deepEqual(meta.rangePartitioning, { field: 'id', range: { start: '0', end: '100', interval: '10' } });
    assert.equal(meta.numRows, '0');

    const dropped = await run('DROP TABLE wh.typed');
    assert.equal(dropped.statistics?.query?.statementType, 'DROP_TABLE');
    assert.equal(dropped.statistics?.query?.ddlOperationPerformed, 'DROP');
    assert.equal((await bq.bigquery.dataset('wh').table('typed').exists())[0], false);
    assert.equal((await run('DROP TABLE IF EXISTS wh.typed')).statistics?.query?.ddlOperationPerformed, 'SKIP');
    assert.deepEqual(await failure('DROP TABLE wh.typed'), { reason: 'notFound', message: 'Not found: Table test-project:wh.typed' });
  });

  test('DDL names its table in the default dataset, and refuses an unqualified name without one', async () => {
    await run('CREATE OR REPLACE TABLE short AS SELECT 1 AS id', { defaultDataset: { datasetId: 'wh' } });
    assert.deepEqual(await ids('short'), [1]);
    assert.match((await failure('CREATE TABLE short2 AS SELECT 1 AS id')).message, /must be qualified with a dataset/);
  });

  test('a partitioning or clustering column the table lacks, or of the wrong type, fails the job and creates nothing', async () => {
    assert.match((await failure('CREATE TABLE wh.bad AS SELECT vendor FROM wh.trips PARTITION BY vendor')).message, /Syntax error|PARTITION BY/);
    assert.match((await failure('CREATE TABLE wh.bad PARTITION BY vendor AS SELECT vendor FROM wh.trips')).message, /PARTITION BY expression must be .*column vendor is STRING/);
    assert.match((await failure('CREATE TABLE wh.bad PARTITION BY DATE(nope) AS SELECT picked_at FROM wh.trips')).message, /Unrecognized name: nope/);
    assert.match((await failure('CREATE TABLE wh.bad CLUSTER BY nope AS SELECT vendor FROM wh.trips')).message, /cannot be found in the schema. Invalid field: nope/);
    assert.equal((await bq.bigquery.dataset('wh').table('bad').exists())[0], false);
  });

  // What the emulator does not run is refused with invalidQuery naming it (main/cloud/bigquery-emulator/README.md).
  test('DML, scripts, other DDL and a destination table on DDL are refused with a clear error', async () => {
    assert.deepEqual(await failure('INSERT INTO wh.trips (id) VALUES (1)'), { reason: 'invalidQuery', message: 'INSERT (DML) is not supported by the emulator: write query results with a destination table, or with CREATE OR REPLACE TABLE … AS SELECT' });
    assert.match((await failure('DECLARE x INT64 DEFAULT 1; SELECT x')).message, /one statement per query job/);
    assert.match((await failure('BEGIN SELECT 1; END')).message, /one statement per query job/);
    assert.match((await failure('CREATE VIEW wh.v AS SELECT 1 AS x')).message, /CREATE VIEW is not supported by the emulator/);
    assert.match((await failure('CREATE TEMP TABLE t AS SELECT 1 AS x')).message, /temporary tables/);
    const ddlWithDestination = await failure('CREATE TABLE wh.x AS SELECT 1 AS id', { destination: bq.bigquery.dataset('wh').table('y') });
    assert.deepEqual(ddlWithDestination, { reason: 'invalid', message: 'Cannot set destination table in jobs with DDL statements' });
  });
});

/** Logical bytes of the trips columns (https://cloud.google.com/bigquery/docs/storage_overview#data_type_sizes). */
const TRIP_BYTES = { id: 8 * TRIP_COUNT, vendor: (2 + 2) * TRIP_COUNT, fare: 8 * TRIP_COUNT, picked_at: 8 * TRIP_COUNT, pickup_date: 8 * TRIP_COUNT };
const TEN_MB = 10 * 1024 * 1024;

describe('dry runs, bytes and maximumBytesBilled', () => {
  // https://cloud.google.com/bigquery/docs/dry-run-queries and
  // https://cloud.google.com/bigquery/docs/estimate-costs (every referenced column is read whole, whatever the filter)
  test('a dry run reports the bytes of the referenced columns and the result schema, and stores no job', async () => {
    const [jobsBefore] = await bq.bigquery.getJobs();
    const [job] = await bq.bigquery.createQueryJob({ query: 'SELECT vendor, fare FROM wh.trips WHERE id < 10', dryRun: true });
    const query = job.metadata.statistics.query;
    assert.equal(query.totalBytesProcessed, String(TRIP_BYTES.vendor + TRIP_BYTES.fare + TRIP_BYTES.id));
    assert.equal(job.metadata.statistics.totalBytesProcessed, query.totalBytesProcessed);
    assert.deepEqual(query.schema.fields.map((f: { name: string; type: string }) => `${f.name} ${f.type}`), ['vendor STRING', 'fare FLOAT']);
    assert.deepEqual(query.referencedTables, [{ projectId: 'test-project', datasetId: 'wh', tableId: 'trips' }]);
    const [jobsAfter] = await bq.bigquery.getJobs();
    assert.equal(jobsAfter.length, jobsBefore.length, 'a dry run leaves no job behind');

    const [star] = await bq.bigquery.createQueryJob({ query: 'SELECT * FROM wh.trips LIMIT 1', dryRun: true });
    assert.equal(star.metadata.statistics.query.totalBytesProcessed, String(Object.values(TRIP_BYTES).reduce((a, b) => a + b)), 'LIMIT does not lower the bytes');
    const [ctas] = await bq.bigquery.createQueryJob({ query: 'CREATE OR REPLACE TABLE wh.dry AS SELECT fare FROM wh.trips', dryRun: true });
    assert.equal(ctas.metadata.statistics.query.statementType, 'CREATE_TABLE_AS_SELECT');
    assert.equal(ctas.metadata.statistics.query.totalBytesProcessed, String(TRIP_BYTES.fare));
    assert.equal((await bq.bigquery.dataset('wh').table('dry').exists())[0], false, 'a dry run creates nothing');
    await assert.rejects(bq.bigquery.createQueryJob({ query: 'SELECT x FROM wh.no_such_table', dryRun: true }), (e: { code?: number; errors?: { reason: string }[] }) => e.code === 404 && e.errors?.[0]?.reason === 'notFound');
  });

  // https://cloud.google.com/bigquery/docs/reference/rest/v2/Job#JobStatistics2 and
  // https://cloud.google.com/bigquery/pricing#on_demand_pricing (rounded up to the MB, 10 MB minimum per table)
  test('a finished query reports bytes processed (the dry run figure), bytes billed and slot time', async () => {
    const meta = await run('SELECT vendor, fare FROM wh.trips WHERE id < 10');
    const query = meta.statistics?.query;
    assert.equal(query?.totalBytesProcessed, String(TRIP_BYTES.vendor + TRIP_BYTES.fare + TRIP_BYTES.id));
    assert.equal(query?.totalBytesBilled, String(TEN_MB));
    assert.ok(Number(query?.totalSlotMs) > 0);
    assert.equal(query?.statementType, 'SELECT');
    assert.equal((await run('SELECT 1 AS one')).statistics?.query?.totalBytesBilled, '0', 'a query that reads no table bills nothing');
  });

  // https://cloud.google.com/bigquery/docs/reference/rest/v2/Job#JobConfigurationQuery (maximumBytesBilled) and
  // https://cloud.google.com/bigquery/docs/error-messages (bytesBilledLimitExceeded)
  test('maximumBytesBilled below the bytes billed fails the job with bytesBilledLimitExceeded before it writes anything', async () => {
    const destination = bq.bigquery.dataset('wh').table('capped');
    const error = await failure('SELECT * FROM wh.trips', { destination, maximumBytesBilled: '1000' });
    assert.deepEqual(error, { reason: 'bytesBilledLimitExceeded', message: `Query exceeded limit for bytes billed: 1000. ${TEN_MB} or higher required.` });
    assert.equal((await bq.bigquery.dataset('wh').table('capped').exists())[0], false);
    await assert.rejects(bq.bigquery.query({ query: 'CREATE TABLE wh.capped AS SELECT * FROM wh.trips', maximumBytesBilled: '1000' }), (e: { errors?: { reason: string }[] }) => e.errors?.[0]?.reason === 'bytesBilledLimitExceeded');
    await run('SELECT * FROM wh.trips', { destination, maximumBytesBilled: String(TEN_MB), writeDisposition: 'WRITE_TRUNCATE' });
    assert.equal((await tableMeta('capped')).numRows, String(TRIP_COUNT));
  });
});

describe('cancel, labels and job ids', () => {
  // https://cloud.google.com/bigquery/docs/reference/rest/v2/jobs/cancel and
  // https://cloud.google.com/bigquery/docs/error-messages (stopped: the job was canceled)
  test('jobs.cancel stops a running query: it ends DONE with errorResult stopped and writes nothing', async () => {
    const destination = bq.bigquery.dataset('wh').table('never_written');
    // DuckDB SQL that runs for minutes unless interrupted: only a cancel can end this job soon.
    const [job] = await bq.bigquery.createQueryJob({ query: 'SELECT sum(hash(range)) AS s FROM range(100000000000)', destination, jobId: 'slow_query_1' });
    assert.equal(job.metadata.status.state, 'RUNNING');
    const [cancelled] = await job.cancel();
    assert.equal(cancelled.job?.jobReference?.jobId, 'slow_query_1');
    await assert.rejects(job.promise(), /Job execution was cancelled: User requested cancellation/);
    const [meta] = await job.getMetadata();
    assert.deepEqual(meta.status, { state: 'DONE', errorResult: { reason: 'stopped', message: 'Job execution was cancelled: User requested cancellation' }, errors: [{ reason: 'stopped', message: 'Job execution was cancelled: User requested cancellation' }] });
    assert.equal((await bq.bigquery.dataset('wh').table('never_written').exists())[0], false);
    const [rows] = await bq.bigquery.query('SELECT 2 AS two');
    assert.deepEqual(rows, [{ two: 2 }], 'the emulator serves queries after a cancel');
  });

  test('cancelling a finished job answers it as it is', async () => {
    const [job] = await bq.bigquery.createQueryJob({ query: 'SELECT 1 AS one' });
    await job.promise();
    const [answer] = await job.cancel();
    assert.equal(answer.job?.status?.state, 'DONE');
    assert.equal(answer.job?.status?.errorResult, undefined);
  });

  // https://cloud.google.com/bigquery/docs/labels-intro#requirements
  test('labels stay on the job resource; a label that breaks the rules is refused', async () => {
    const labels = { pipeline: 'yellow_taxi_warehouse', block: 'daily_trips', run: 'r-20210101t000000' };
    const meta = await run('SELECT 1 AS one', { labels });
    assert.deepEqual(meta.configuration?.labels, labels);
    const [jobs] = await bq.bigquery.getJobs();
    assert.deepEqual(jobs.find((j) => j.id === meta.jobReference?.jobId)?.metadata.configuration?.labels, labels);
    await assert.rejects(bq.bigquery.createQueryJob({ query: 'SELECT 1', labels: { Pipeline: 'x' } }), (e: { code?: number; message: string }) => e.code === 400 && /Invalid label key "Pipeline"/.test(e.message));
  });

  // https://cloud.google.com/bigquery/docs/reference/rest/v2/jobs/insert and https://cloud.google.com/bigquery/docs/error-messages (duplicate)
  test('a second insert of a job id answers 409 duplicate and does not run the query again', async () => {
    const destination = bq.bigquery.dataset('wh').table('appended_once');
    const options = { destination, writeDisposition: 'WRITE_APPEND', jobId: 'pw_wh_daily_run1' };
    await run('SELECT id FROM wh.trips WHERE id < 3', options);
    await assert.rejects(bq.bigquery.createQueryJob({ query: 'SELECT id FROM wh.trips WHERE id < 3', ...options }), (e: { code?: number; errors?: { reason: string }[]; message: string }) => e.code === 409 && e.errors?.[0]?.reason === 'duplicate' && /Already Exists: Job test-project:US.pw_wh_daily_run1/.test(e.message));
    assert.deepEqual(await ids('appended_once'), [0, 1, 2]);
  });

  // https://cloud.google.com/bigquery/docs/reference/rest/v2/jobs/query#QueryRequest (requestId: idempotent queries)
  test('a jobs.query retried after a lost reply follows the first job by requestId instead of running twice', async () => {
    await bq.resetFaults();
    await bq.fault({ operation: 'jobs.query', times: 1, action: { resetAfterCommit: true } });
    const [rows] = await bq.bigquery.query('CREATE TABLE wh.created_once AS SELECT 1 AS id');
    assert.deepEqual(rows, []);
    const counts = await bq.counts();
    assert.equal(counts.fired['jobs.query'], 1);
    assert.equal(counts.requests['jobs.query'], 2);
    assert.deepEqual(await ids('created_once'), [1]);
  });
});

type Page<T> = [T[], { pageToken?: string } | null, ...unknown[]];

describe('windows of rows', () => {
  // https://cloud.google.com/bigquery/docs/reference/rest/v2/tabledata/list (maxResults, pageToken, startIndex, selectedFields)
  test('tabledata.list pages from startIndex, follows pageToken, and keeps only selectedFields', async () => {
    const table = bq.bigquery.dataset('wh').table('trips');
    const [first, next] = (await table.getRows({ startIndex: '5', maxResults: 3, selectedFields: 'vendor,id', autoPaginate: false })) as unknown as Page<Record<string, unknown>>;
    assert.deepEqual(first, [{ id: 5, vendor: 'v2' }, { id: 6, vendor: 'v0' }, { id: 7, vendor: 'v1' }]);
    assert.ok(next?.pageToken);
    const [second] = (await table.getRows({ pageToken: next.pageToken, maxResults: 2, selectedFields: 'vendor,id', autoPaginate: false })) as unknown as Page<Record<string, unknown>>;
    assert.deepEqual(second.map((r) => r.id), [8, 9]);
    const [last, after] = (await table.getRows({ startIndex: String(TRIP_COUNT - 2), maxResults: 10, autoPaginate: false })) as unknown as Page<{ id: number }>;
    assert.deepEqual(last.map((r) => r.id), [TRIP_COUNT - 2, TRIP_COUNT - 1]);
    assert.equal(after, null, 'no page token after the last row');
    await assert.rejects(table.getRows({ selectedFields: 'nope' }), (e: { code?: number; message: string }) => e.code === 400 && /nope/.test(e.message));
    await assert.rejects(table.getRows({ pageToken: 'not-a-token' }), (e: { code?: number }) => e.code === 400);
  });

  // https://cloud.google.com/bigquery/docs/reference/rest/v2/jobs/getQueryResults (maxResults, pageToken, startIndex)
  test('a sorted, filtered window comes back in order across pages of getQueryResults, from any startIndex', async () => {
    const expected = Array.from({ length: TRIP_COUNT }, (_, id) => id).filter((id) => id % 3 === 1).sort((a, b) => b - a);
    const [job] = await bq.bigquery.createQueryJob({ query: "SELECT id, fare FROM wh.trips WHERE vendor = 'v1' ORDER BY fare DESC" });
    const seen: number[] = [];
    let options: Record<string, unknown> | null = { maxResults: 100, autoPaginate: false };
    while (options) {
      const [rows, next] = (await job.getQueryResults(options)) as unknown as Page<{ id: number }>;
      seen.push(...rows.map((r) => r.id));
      options = next;
    }
    assert.deepEqual(seen, expected);
    const [window] = (await job.getQueryResults({ startIndex: '300', maxResults: 5, autoPaginate: false })) as unknown as Page<{ id: number }>;
    assert.deepEqual(window.map((r) => r.id), expected.slice(300, 305));
  });
});

describe('GoogleSQL the emulator translates', () => {
  // https://cloud.google.com/bigquery/docs/reference/standard-sql/date_functions, …/timestamp_functions,
  // …/mathematical_functions#safe_divide, …/query-syntax#qualify_clause, …/query-syntax#unnest_operator
  test('date and timestamp functions, SAFE_DIVIDE, COUNTIF, QUALIFY and UNNEST aliases give GoogleSQL results and types', async () => {
    const [rows] = await bq.bigquery.query(`
      SELECT DATE(picked_at) AS day, TIMESTAMP_TRUNC(picked_at, DAY) AS day_start, EXTRACT(DAYOFWEEK FROM pickup_date) AS weekday,
        FORMAT_DATE('%Y-%m', DATE_TRUNC(pickup_date, MONTH)) AS month, DATE_DIFF(pickup_date, DATE '2021-01-01', DAY) AS age,
        COUNTIF(vendor = 'v1') AS v1_trips, SAFE_DIVIDE(SUM(fare), COUNTIF(vendor = 'nobody')) AS no_average
      FROM wh.trips WHERE id < 48 GROUP BY 1, 2, 3, 4, 5
      QUALIFY ROW_NUMBER() OVER (ORDER BY day DESC) = 1`);
    assert.equal(rows.length, 1);
    const row = rows[0];
    assert.equal(row.day.value, '2021-01-02');
    assert.equal(row.day_start.value, '2021-01-02T00:00:00.000Z');
    assert.equal(row.weekday, 7, '2021-01-02 is a Saturday: DAYOFWEEK counts Sunday as 1');
    assert.equal(row.month, '2021-01');
    assert.equal(row.age, 1);
    assert.equal(row.v1_trips, 8);
    assert.equal(row.no_average, null);
    const [unnested] = await bq.bigquery.query('SELECT n * 2 AS twice FROM UNNEST([1, 2, 3]) AS n ORDER BY n');
    assert.deepEqual(unnested, [{ twice: 2 }, { twice: 4 }, { twice: 6 }]);
    const [job] = await bq.bigquery.createQueryJob({ query: "SELECT TIMESTAMP '2021-01-01 10:00:00' AS at, DATETIME '2021-01-01 10:00:00' AS civil", dryRun: true });
    assert.deepEqual(job.metadata.statistics.query.schema.fields.map((f: { type: string }) => f.type), ['TIMESTAMP', 'DATETIME']);
  });
});

describe('copy jobs', () => {
  // https://cloud.google.com/bigquery/docs/reference/rest/v2/Job#JobConfigurationTableCopy
  test('a copy job publishes one table over another per its write disposition, keeping schema and partitioning', async () => {
    await run('CREATE OR REPLACE TABLE wh.staged_run PARTITION BY pickup_date AS SELECT id, pickup_date FROM wh.trips WHERE id < 4');
    const staged = bq.bigquery.dataset('wh').table('staged_run');
    const published = bq.bigquery.dataset('wh').table('published');
    const [job] = await staged.copy(published, { writeDisposition: 'WRITE_TRUNCATE' });
    assert.equal(job.statistics?.copy?.copiedRows, '4');
    assert.deepEqual(await ids('published'), [0, 1, 2, 3]);
    assert.deepEqual((await tableMeta('published')).timePartitioning, { type: 'DAY', field: 'pickup_date' });
    await assert.rejects(staged.copy(published), /Already Exists: Table test-project:wh.published/, 'WRITE_EMPTY is the default');
    await assert.rejects(bq.bigquery.dataset('wh').table('no_such').copy(published, { writeDisposition: 'WRITE_TRUNCATE' }), /Not found: Table test-project:wh.no_such/);
    assert.deepEqual(await ids('published'), [0, 1, 2, 3]);
  });
});
