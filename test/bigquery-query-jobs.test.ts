/**
 * Query jobs of the BigQuery emulator as push-down uses them, through the official client over HTTP: destination
 * tables and dispositions, DDL and copy jobs. Each test names the Google page it follows; the emulator was written
 * from these pages, not from our push-down code. Costs, cancel and paging: bigquery-query-costs.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTripsWarehouse, TRIP_COUNT, type TripsWarehouse } from './helpers/bigquery-warehouse.ts';

let wh: TripsWarehouse;
before(async () => {
  wh = await startTripsWarehouse();
});
after(async () => {
  await wh.bq.close();
});

describe('query jobs with a destination table', () => {
  // https://cloud.google.com/bigquery/docs/reference/rest/v2/Job#JobConfigurationQuery (destinationTable, writeDisposition, createDisposition)
  test('WRITE_TRUNCATE replaces, WRITE_APPEND adds, WRITE_EMPTY refuses a table with data, CREATE_NEVER needs the table', async () => {
    const destination = wh.bq.bigquery.dataset('wh').table('cheap');
    await wh.run('SELECT id, vendor FROM wh.trips WHERE id < 3', { destination, writeDisposition: 'WRITE_TRUNCATE' });
    assert.deepEqual(await wh.ids('cheap'), [0, 1, 2]);
    await wh.run('SELECT id, vendor FROM wh.trips WHERE id BETWEEN 10 AND 11', { destination, writeDisposition: 'WRITE_APPEND' });
    assert.deepEqual(await wh.ids('cheap'), [0, 1, 2, 10, 11]);
    const duplicate = await wh.failure('SELECT id, vendor FROM wh.trips WHERE id = 5', { destination });
    assert.deepEqual(duplicate, { reason: 'duplicate', message: 'Already Exists: Table test-project:wh.cheap' });
    await wh.run('SELECT id FROM wh.trips WHERE id = 7', { destination, writeDisposition: 'WRITE_TRUNCATE' });
    assert.deepEqual(await wh.ids('cheap'), [7]);
    assert.deepEqual(
      (await wh.tableMeta('cheap')).schema?.fields?.map((f) => f.name),
      ['id'],
      'WRITE_TRUNCATE takes the schema of the query result',
    );
    const missing = await wh.failure('SELECT 1 AS id', {
      destination: wh.bq.bigquery.dataset('wh').table('never_made'),
      createDisposition: 'CREATE_NEVER',
    });
    assert.deepEqual(missing, { reason: 'notFound', message: 'Not found: Table test-project:wh.never_made' });
    assert.equal((await wh.bq.bigquery.dataset('wh').table('never_made').exists())[0], false);
  });

  // https://cloud.google.com/bigquery/docs/reference/rest/v2/tables#Table (numRows, numBytes) and
  // https://cloud.google.com/bigquery/docs/storage_overview#data_type_sizes (logical bytes per type)
  test('tables.get reports the result schema, numRows and numBytes in logical bytes', async () => {
    await wh.run('SELECT id, vendor, fare, pickup_date FROM wh.trips WHERE id < 100', {
      destination: wh.bq.bigquery.dataset('wh').table('sized'),
      writeDisposition: 'WRITE_TRUNCATE',
    });
    const meta = await wh.tableMeta('sized');
    assert.deepEqual(
      meta.schema?.fields?.map((f) => `${f.name} ${f.type}`),
      ['id INTEGER', 'vendor STRING', 'fare FLOAT', 'pickup_date DATE'],
    );
    assert.equal(meta.numRows, '100');
    // INT64, FLOAT64 and DATE are 8 bytes; a STRING is 2 bytes plus its UTF-8 length ('v0' → 4).
    assert.equal(meta.numBytes, String(100 * (8 + (2 + 2) + 8 + 8)));
  });

  test('a failed query leaves its destination as it was', async () => {
    const destination = wh.bq.bigquery.dataset('wh').table('kept');
    await wh.run('SELECT id FROM wh.trips WHERE id < 2', { destination, writeDisposition: 'WRITE_TRUNCATE' });
    const error = await wh.failure('SELECT id, no_such_column FROM wh.trips', { destination, writeDisposition: 'WRITE_TRUNCATE' });
    assert.equal(error.reason, 'invalidQuery');
    assert.match(error.message, /no_such_column/);
    assert.deepEqual(await wh.ids('kept'), [0, 1]);
    const [tables] = await wh.bq.bigquery.dataset('wh').getTables();
    assert.ok(!tables.some((t) => t.id?.startsWith('_pw_stage')), 'no staging table is left behind');
  });

  test('getQueryResults of a destination job pages the destination table', async () => {
    const [job] = await wh.bq.bigquery.createQueryJob({
      query: 'SELECT id FROM wh.trips WHERE id < 25 ORDER BY id DESC',
      destination: wh.bq.bigquery.dataset('wh').table('ordered'),
      writeDisposition: 'WRITE_TRUNCATE',
    });
    const [first, next] = (await job.getQueryResults({ maxResults: 10, autoPaginate: false })) as unknown as [
      { id: number }[],
      Record<string, unknown> | null,
    ];
    assert.deepEqual(
      first.map((r) => r.id),
      [24, 23, 22, 21, 20, 19, 18, 17, 16, 15],
    );
    assert.ok(next?.pageToken);
  });
});

describe('DDL in query jobs', () => {
  // https://cloud.google.com/bigquery/docs/reference/standard-sql/data-definition-language#create_table_statement and
  // https://cloud.google.com/bigquery/docs/reference/rest/v2/Job#JobStatistics2 (statementType, ddlOperationPerformed)
  test('CREATE TABLE … AS SELECT records PARTITION BY and CLUSTER BY; OR REPLACE replaces, IF NOT EXISTS skips, a plain CREATE of an existing table fails', async () => {
    const created = await wh.run(
      'CREATE TABLE wh.daily PARTITION BY DATE(picked_at) CLUSTER BY vendor AS SELECT vendor, picked_at, fare FROM `test-project.wh.trips` WHERE fare > 400',
    );
    assert.equal(created.statistics?.query?.statementType, 'CREATE_TABLE_AS_SELECT');
    assert.equal(created.statistics?.query?.ddlOperationPerformed, 'CREATE');
    assert.deepEqual(created.statistics?.query?.ddlTargetTable, { projectId: 'test-project', datasetId: 'wh', tableId: 'daily' });
    const meta = await wh.tableMeta('daily');
    assert.deepEqual(meta.timePartitioning, { type: 'DAY', field: 'picked_at' });
    assert.deepEqual(meta.clustering, { fields: ['vendor'] });
    assert.equal(meta.numRows, String(TRIP_COUNT - 801));

    const replaced = await wh.run(
      'CREATE OR REPLACE TABLE wh.daily PARTITION BY pickup_date AS SELECT id, pickup_date FROM wh.trips WHERE id < 5',
    );
    assert.equal(replaced.statistics?.query?.ddlOperationPerformed, 'REPLACE');
    assert.deepEqual(await wh.ids('daily'), [0, 1, 2, 3, 4]);
    assert.deepEqual((await wh.tableMeta('daily')).timePartitioning, { type: 'DAY', field: 'pickup_date' });

    const skipped = await wh.run('CREATE TABLE IF NOT EXISTS wh.daily AS SELECT 1 AS id');
    assert.equal(skipped.statistics?.query?.ddlOperationPerformed, 'SKIP');
    assert.deepEqual(await wh.ids('daily'), [0, 1, 2, 3, 4]);
    assert.deepEqual(await wh.failure('CREATE TABLE wh.daily AS SELECT 1 AS id'), {
      reason: 'duplicate',
      message: 'Already Exists: Table test-project:wh.daily',
    });
  });

  // https://cloud.google.com/bigquery/docs/reference/standard-sql/data-definition-language#drop_table_statement
  test('CREATE TABLE with a column list makes an empty typed table; DROP TABLE drops it; IF EXISTS skips a missing one', async () => {
    const created = await wh.run(
      'CREATE TABLE wh.typed (id INT64 NOT NULL, tags ARRAY<STRING>, trip STRUCT<fare NUMERIC, at TIMESTAMP>, note STRING(20)) PARTITION BY RANGE_BUCKET(id, GENERATE_ARRAY(0, 100, 10)) OPTIONS (description = "typed")',
    );
    assert.equal(created.statistics?.query?.statementType, 'CREATE_TABLE');
    const meta = await wh.tableMeta('typed');
    assert.deepEqual(
      meta.schema?.fields?.map((f) => `${f.name} ${f.type} ${f.mode}`),
      ['id INTEGER REQUIRED', 'tags STRING REPEATED', 'trip RECORD NULLABLE', 'note STRING NULLABLE'],
    );
    assert.deepEqual(meta.rangePartitioning, { field: 'id', range: { start: '0', end: '100', interval: '10' } });
    assert.equal(meta.numRows, '0');

    const dropped = await wh.run('DROP TABLE wh.typed');
    assert.equal(dropped.statistics?.query?.statementType, 'DROP_TABLE');
    assert.equal(dropped.statistics?.query?.ddlOperationPerformed, 'DROP');
    assert.equal((await wh.bq.bigquery.dataset('wh').table('typed').exists())[0], false);
    assert.equal((await wh.run('DROP TABLE IF EXISTS wh.typed')).statistics?.query?.ddlOperationPerformed, 'SKIP');
    assert.deepEqual(await wh.failure('DROP TABLE wh.typed'), { reason: 'notFound', message: 'Not found: Table test-project:wh.typed' });
  });

  test('DDL names its table in the default dataset, and refuses an unqualified name without one', async () => {
    await wh.run('CREATE OR REPLACE TABLE short AS SELECT 1 AS id', { defaultDataset: { datasetId: 'wh' } });
    assert.deepEqual(await wh.ids('short'), [1]);
    assert.match((await wh.failure('CREATE TABLE short2 AS SELECT 1 AS id')).message, /must be qualified with a dataset/);
    assert.deepEqual(await wh.failure('CREATE TABLE wh.`bad/name` AS SELECT 1 AS id'), {
      reason: 'invalid',
      message: 'Invalid table ID "bad/name".',
    });
    await wh.run('CREATE TABLE WH.upper_case AS SELECT 1 AS id');
    assert.equal((await wh.tableMeta('upper_case')).tableReference?.datasetId, 'wh', 'dataset ids are matched as created');
  });

  test('a partitioning or clustering column the table lacks, or of the wrong type, fails the job and creates nothing', async () => {
    assert.match(
      (await wh.failure('CREATE TABLE wh.bad AS SELECT vendor FROM wh.trips PARTITION BY vendor')).message,
      /Syntax error|PARTITION BY/,
    );
    assert.match(
      (await wh.failure('CREATE TABLE wh.bad PARTITION BY vendor AS SELECT vendor FROM wh.trips')).message,
      /PARTITION BY expression must be .*column vendor is STRING/,
    );
    assert.match(
      (await wh.failure('CREATE TABLE wh.bad PARTITION BY DATE(nope) AS SELECT picked_at FROM wh.trips')).message,
      /Unrecognized name: nope/,
    );
    assert.match(
      (await wh.failure('CREATE TABLE wh.bad CLUSTER BY nope AS SELECT vendor FROM wh.trips')).message,
      /cannot be found in the schema. Invalid field: nope/,
    );
    assert.equal((await wh.bq.bigquery.dataset('wh').table('bad').exists())[0], false);
  });

  // What the emulator does not run is refused with invalidQuery naming it (main/cloud/bigquery-emulator/README.md).
  test('DML, scripts, other DDL and a destination table on DDL are refused with a clear error', async () => {
    assert.deepEqual(await wh.failure('INSERT INTO wh.trips (id) VALUES (1)'), {
      reason: 'invalidQuery',
      message:
        'INSERT (DML) is not supported by the emulator: write query results with a destination table, or with CREATE OR REPLACE TABLE … AS SELECT',
    });
    assert.match((await wh.failure('DECLARE x INT64 DEFAULT 1; SELECT x')).message, /one statement per query job/);
    assert.match((await wh.failure('BEGIN SELECT 1; END')).message, /one statement per query job/);
    assert.match((await wh.failure('CREATE VIEW wh.v AS SELECT 1 AS x')).message, /CREATE VIEW is not supported by the emulator/);
    assert.match((await wh.failure('CREATE TEMP TABLE t AS SELECT 1 AS x')).message, /temporary tables/);
    const ddlWithDestination = await wh.failure('CREATE TABLE wh.x AS SELECT 1 AS id', {
      destination: wh.bq.bigquery.dataset('wh').table('y'),
    });
    assert.deepEqual(ddlWithDestination, { reason: 'invalid', message: 'Cannot set destination table in jobs with DDL statements' });
  });
});

describe('copy jobs', () => {
  // https://cloud.google.com/bigquery/docs/reference/rest/v2/Job#JobConfigurationTableCopy
  test('a copy job publishes one table over another per its write disposition, keeping schema and partitioning', async () => {
    await wh.run('CREATE OR REPLACE TABLE wh.staged_run PARTITION BY pickup_date AS SELECT id, pickup_date FROM wh.trips WHERE id < 4');
    const staged = wh.bq.bigquery.dataset('wh').table('staged_run');
    const published = wh.bq.bigquery.dataset('wh').table('published');
    const [job] = await staged.copy(published, { writeDisposition: 'WRITE_TRUNCATE' });
    assert.equal(job.statistics?.copy?.copiedRows, '4');
    assert.deepEqual(await wh.ids('published'), [0, 1, 2, 3]);
    assert.deepEqual((await wh.tableMeta('published')).timePartitioning, { type: 'DAY', field: 'pickup_date' });
    await assert.rejects(staged.copy(published), /Already Exists: Table test-project:wh.published/, 'WRITE_EMPTY is the default');
    await assert.rejects(
      wh.bq.bigquery.dataset('wh').table('no_such').copy(published, { writeDisposition: 'WRITE_TRUNCATE' }),
      /Not found: Table test-project:wh.no_such/,
    );
    assert.deepEqual(await wh.ids('published'), [0, 1, 2, 3]);
  });
});
