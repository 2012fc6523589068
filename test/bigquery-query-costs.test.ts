/**
 * What BigQuery query jobs cost and how they are controlled, through the official client against the emulator: dry
 * runs and bytes, maximumBytesBilled, cancel and timeouts, labels and job ids, windows of rows, and the GoogleSQL
 * the emulator translates. Each test names the Google page it follows.
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

/** Logical bytes of the trips columns (https://cloud.google.com/bigquery/docs/storage_overview#data_type_sizes). */
const TRIP_BYTES = {
  id: 8 * TRIP_COUNT,
  vendor: (2 + 2) * TRIP_COUNT,
  fare: 8 * TRIP_COUNT,
  picked_at: 8 * TRIP_COUNT,
  pickup_date: 8 * TRIP_COUNT,
};
const TEN_MB = 10 * 1024 * 1024;

describe('dry runs, bytes and maximumBytesBilled', () => {
  // https://cloud.google.com/bigquery/docs/dry-run-queries and
  // https://cloud.google.com/bigquery/docs/estimate-costs (every referenced column is read whole, whatever the filter)
  test('a dry run reports the bytes of the referenced columns and the result schema, and stores no job', async () => {
    const [jobsBefore] = await wh.bq.bigquery.getJobs();
    const [job] = await wh.bq.bigquery.createQueryJob({ query: 'SELECT vendor, fare FROM wh.trips WHERE id < 10', dryRun: true });
    const query = job.metadata.statistics.query;
    assert.equal(query.totalBytesProcessed, String(TRIP_BYTES.vendor + TRIP_BYTES.fare + TRIP_BYTES.id));
    assert.equal(job.metadata.statistics.totalBytesProcessed, query.totalBytesProcessed);
    assert.deepEqual(
      query.schema.fields.map((f: { name: string; type: string }) => `${f.name} ${f.type}`),
      ['vendor STRING', 'fare FLOAT'],
    );
    assert.deepEqual(query.referencedTables, [{ projectId: 'test-project', datasetId: 'wh', tableId: 'trips' }]);
    const [jobsAfter] = await wh.bq.bigquery.getJobs();
    assert.equal(jobsAfter.length, jobsBefore.length, 'a dry run leaves no job behind');

    const [star] = await wh.bq.bigquery.createQueryJob({ query: 'SELECT * FROM wh.trips LIMIT 1', dryRun: true });
    assert.equal(
      star.metadata.statistics.query.totalBytesProcessed,
      String(Object.values(TRIP_BYTES).reduce((a, b) => a + b)),
      'LIMIT does not lower the bytes',
    );
    const [ctas] = await wh.bq.bigquery.createQueryJob({
      query: 'CREATE OR REPLACE TABLE wh.dry AS SELECT fare FROM wh.trips',
      dryRun: true,
    });
    assert.equal(ctas.metadata.statistics.query.statementType, 'CREATE_TABLE_AS_SELECT');
    assert.equal(ctas.metadata.statistics.query.totalBytesProcessed, String(TRIP_BYTES.fare));
    assert.equal((await wh.bq.bigquery.dataset('wh').table('dry').exists())[0], false, 'a dry run creates nothing');
    // jobs.query takes dryRun too (https://cloud.google.com/bigquery/docs/reference/rest/v2/jobs/query#QueryRequest).
    const response = await fetch(`${wh.bq.endpoint}/bigquery/v2/projects/test-project/queries`, {
      method: 'POST',
      body: JSON.stringify({ query: 'SELECT fare FROM wh.trips', useLegacySql: false, dryRun: true }),
    });
    assert.equal(((await response.json()) as { totalBytesProcessed: string }).totalBytesProcessed, String(TRIP_BYTES.fare));
    await assert.rejects(
      wh.bq.bigquery.createQueryJob({ query: 'SELECT x FROM wh.no_such_table', dryRun: true }),
      (e: { code?: number; errors?: { reason: string }[] }) => e.code === 404 && e.errors?.[0]?.reason === 'notFound',
    );
  });

  // https://cloud.google.com/bigquery/docs/querying-partitioned-tables (pruning by the partitioning column)
  test('a filter on the partitioning column counts only the partitions it selects; other filters count whole columns', async () => {
    await wh.run('CREATE OR REPLACE TABLE wh.by_day PARTITION BY pickup_date AS SELECT id, fare, pickup_date FROM wh.trips');
    const estimate = async (query: string) =>
      Number((await wh.bq.bigquery.createQueryJob({ query, dryRun: true }))[0].metadata.statistics.query.totalBytesProcessed);
    // 24 trips a day; fare and pickup_date are 8 bytes each.
    assert.equal(await estimate("SELECT fare FROM wh.by_day WHERE pickup_date = DATE '2021-01-02'"), 24 * (8 + 8));
    assert.equal(
      await estimate("SELECT fare FROM wh.by_day WHERE pickup_date BETWEEN DATE '2021-01-02' AND DATE '2021-01-04'"),
      3 * 24 * (8 + 8),
    );
    assert.equal(
      await estimate('SELECT fare FROM wh.by_day WHERE id = 30'),
      TRIP_COUNT * (8 + 8),
      'a filter on another column prunes nothing',
    );
    assert.equal(await estimate('SELECT fare FROM wh.by_day'), TRIP_COUNT * 8);
  });

  // https://cloud.google.com/bigquery/docs/reference/rest/v2/Job#JobStatistics2 and
  // https://cloud.google.com/bigquery/pricing#on_demand_pricing (rounded up to the MB, 10 MB minimum per table)
  test('a finished query reports bytes processed (the dry run figure), bytes billed and slot time', async () => {
    const meta = await wh.run('SELECT vendor, fare FROM wh.trips WHERE id < 10');
    const query = meta.statistics?.query;
    assert.equal(query?.totalBytesProcessed, String(TRIP_BYTES.vendor + TRIP_BYTES.fare + TRIP_BYTES.id));
    assert.equal(query?.totalBytesBilled, String(TEN_MB));
    assert.ok(Number(query?.totalSlotMs) > 0);
    assert.equal(query?.statementType, 'SELECT');
    assert.equal((await wh.run('SELECT 1 AS one')).statistics?.query?.totalBytesBilled, '0', 'a query that reads no table bills nothing');
  });

  // https://cloud.google.com/bigquery/docs/reference/rest/v2/Job#JobConfigurationQuery (maximumBytesBilled) and
  // https://cloud.google.com/bigquery/docs/error-messages (bytesBilledLimitExceeded)
  test('maximumBytesBilled below the bytes billed fails the job with bytesBilledLimitExceeded before it writes anything', async () => {
    const destination = wh.bq.bigquery.dataset('wh').table('capped');
    const error = await wh.failure('SELECT * FROM wh.trips', { destination, maximumBytesBilled: '1000' });
    assert.deepEqual(error, {
      reason: 'bytesBilledLimitExceeded',
      message: `Query exceeded limit for bytes billed: 1000. ${TEN_MB} or higher required.`,
    });
    assert.equal((await wh.bq.bigquery.dataset('wh').table('capped').exists())[0], false);
    await assert.rejects(
      wh.bq.bigquery.query({ query: 'CREATE TABLE wh.capped AS SELECT * FROM wh.trips', maximumBytesBilled: '1000' }),
      (e: { errors?: { reason: string }[] }) => e.errors?.[0]?.reason === 'bytesBilledLimitExceeded',
    );
    await wh.run('SELECT * FROM wh.trips', { destination, maximumBytesBilled: String(TEN_MB), writeDisposition: 'WRITE_TRUNCATE' });
    assert.equal((await wh.tableMeta('capped')).numRows, String(TRIP_COUNT));
  });
});

describe('cancel, labels and job ids', () => {
  // https://cloud.google.com/bigquery/docs/reference/rest/v2/jobs/cancel and
  // https://cloud.google.com/bigquery/docs/error-messages (stopped: the job was canceled)
  test('jobs.cancel stops a running query: it ends DONE with errorResult stopped and writes nothing', async () => {
    const destination = wh.bq.bigquery.dataset('wh').table('never_written');
    // DuckDB SQL that runs for minutes unless interrupted: only a cancel can end this job soon.
    const [job] = await wh.bq.bigquery.createQueryJob({
      query: 'SELECT sum(hash(range)) AS s FROM range(100000000000)',
      destination,
      jobId: 'slow_query_1',
    });
    assert.equal(job.metadata.status.state, 'RUNNING');
    const [cancelled] = await job.cancel();
    assert.equal(cancelled.job?.jobReference?.jobId, 'slow_query_1');
    await assert.rejects(job.promise(), /Job execution was cancelled: User requested cancellation/);
    const [meta] = await job.getMetadata();
    assert.deepEqual(meta.status, {
      state: 'DONE',
      errorResult: { reason: 'stopped', message: 'Job execution was cancelled: User requested cancellation' },
      errors: [{ reason: 'stopped', message: 'Job execution was cancelled: User requested cancellation' }],
    });
    assert.equal((await wh.bq.bigquery.dataset('wh').table('never_written').exists())[0], false);
    const [rows] = await wh.bq.bigquery.query('SELECT 2 AS two');
    assert.deepEqual(rows, [{ two: 2 }], 'the emulator serves queries after a cancel');
  });

  test('a job held RUNNING by a holdJob fault (for cancel tests without a slow query) ends stopped when cancelled', async () => {
    await wh.bq.resetFaults();
    await wh.bq.fault({ operation: 'jobs.insert', times: 1, action: { holdJob: { ms: 600_000 } } });
    const [job] = await wh.bq.bigquery.createQueryJob({ query: 'CREATE TABLE wh.held AS SELECT 1 AS id' });
    const [running] = await job.getMetadata();
    assert.equal(running.status?.state, 'RUNNING');
    await job.cancel();
    await assert.rejects(job.promise(), /User requested cancellation/);
    assert.equal((await wh.bq.bigquery.dataset('wh').table('held').exists())[0], false);
    assert.equal((await wh.bq.counts()).fired['jobs.insert'], 1);
  });

  // https://cloud.google.com/bigquery/docs/reference/rest/v2/Job#JobConfiguration (jobTimeoutMs)
  test('a job past its jobTimeoutMs is stopped, saying it timed out', async () => {
    await wh.bq.resetFaults();
    await wh.bq.fault({ operation: 'jobs.insert', times: 1, action: { holdJob: { ms: 600_000 } } });
    const error = await wh.failure('CREATE TABLE wh.too_slow AS SELECT 1 AS id', { jobTimeoutMs: 300 });
    assert.deepEqual(error, { reason: 'stopped', message: 'Job execution was cancelled: Job timed out after 0.3 sec' });
    assert.equal((await wh.bq.bigquery.dataset('wh').table('too_slow').exists())[0], false);
    await assert.rejects(wh.bq.bigquery.createQueryJob({ query: 'SELECT 1', jobTimeoutMs: -5 }), /Invalid value for jobTimeoutMs: -5/);
  });

  test('cancelling a finished job answers it as it is', async () => {
    const [job] = await wh.bq.bigquery.createQueryJob({ query: 'SELECT 1 AS one' });
    await job.promise();
    const [answer] = await job.cancel();
    assert.equal(answer.job?.status?.state, 'DONE');
    assert.equal(answer.job?.status?.errorResult, undefined);
  });

  // https://cloud.google.com/bigquery/docs/labels-intro#requirements
  test('labels stay on the job resource; a label that breaks the rules is refused', async () => {
    const labels = { pipeline: 'yellow_taxi_warehouse', block: 'daily_trips', run: 'r-20210101t000000' };
    const meta = await wh.run('SELECT 1 AS one', { labels });
    assert.deepEqual(meta.configuration?.labels, labels);
    const [jobs] = await wh.bq.bigquery.getJobs();
    assert.deepEqual(jobs.find((j) => j.id === meta.jobReference?.jobId)?.metadata.configuration?.labels, labels);
    await assert.rejects(
      wh.bq.bigquery.createQueryJob({ query: 'SELECT 1', labels: { Pipeline: 'x' } }),
      (e: { code?: number; message: string }) => e.code === 400 && /Invalid label key "Pipeline"/.test(e.message),
    );
  });

  // https://cloud.google.com/bigquery/docs/reference/rest/v2/jobs/insert and https://cloud.google.com/bigquery/docs/error-messages (duplicate)
  test('a second insert of a job id answers 409 duplicate and does not run the query again', async () => {
    const destination = wh.bq.bigquery.dataset('wh').table('appended_once');
    const options = { destination, writeDisposition: 'WRITE_APPEND', jobId: 'pw_wh_daily_run1' };
    await wh.run('SELECT id FROM wh.trips WHERE id < 3', options);
    await assert.rejects(
      wh.bq.bigquery.createQueryJob({ query: 'SELECT id FROM wh.trips WHERE id < 3', ...options }),
      (e: { code?: number; errors?: { reason: string }[]; message: string }) =>
        e.code === 409 && e.errors?.[0]?.reason === 'duplicate' && /Already Exists: Job test-project:US.pw_wh_daily_run1/.test(e.message),
    );
    assert.deepEqual(await wh.ids('appended_once'), [0, 1, 2]);
  });

  // https://cloud.google.com/bigquery/docs/reference/rest/v2/jobs/query#QueryRequest (requestId: idempotent queries)
  test('a jobs.query retried after a lost reply follows the first job by requestId instead of running twice', async () => {
    await wh.bq.resetFaults();
    await wh.bq.fault({ operation: 'jobs.query', times: 1, action: { resetAfterCommit: true } });
    const [rows] = await wh.bq.bigquery.query('CREATE TABLE wh.created_once AS SELECT 1 AS id');
    assert.deepEqual(rows, []);
    const counts = await wh.bq.counts();
    assert.equal(counts.fired['jobs.query'], 1);
    assert.equal(counts.requests['jobs.query'], 2);
    assert.deepEqual(await wh.ids('created_once'), [1]);
  });
});

type Page<T> = [T[], { pageToken?: string } | null, ...unknown[]];

describe('windows of rows', () => {
  // https://cloud.google.com/bigquery/docs/reference/rest/v2/tabledata/list (maxResults, pageToken, startIndex, selectedFields)
  test('tabledata.list pages from startIndex, follows pageToken, and keeps only selectedFields', async () => {
    const table = wh.bq.bigquery.dataset('wh').table('trips');
    const [first, next] = (await table.getRows({
      startIndex: '5',
      maxResults: 3,
      selectedFields: 'vendor,id',
      autoPaginate: false,
    })) as unknown as Page<Record<string, unknown>>;
    assert.deepEqual(first, [
      { id: 5, vendor: 'v2' },
      { id: 6, vendor: 'v0' },
      { id: 7, vendor: 'v1' },
    ]);
    assert.ok(next?.pageToken);
    const [second] = (await table.getRows({
      pageToken: next.pageToken,
      maxResults: 2,
      selectedFields: 'vendor,id',
      autoPaginate: false,
    })) as unknown as Page<Record<string, unknown>>;
    assert.deepEqual(
      second.map((r) => r.id),
      [8, 9],
    );
    const [last, after] = (await table.getRows({
      startIndex: String(TRIP_COUNT - 2),
      maxResults: 10,
      autoPaginate: false,
    })) as unknown as Page<{ id: number }>;
    assert.deepEqual(
      last.map((r) => r.id),
      [TRIP_COUNT - 2, TRIP_COUNT - 1],
    );
    assert.equal(after, null, 'no page token after the last row');
    await assert.rejects(
      table.getRows({ selectedFields: 'nope' }),
      (e: { code?: number; message: string }) => e.code === 400 && /nope/.test(e.message),
    );
    await assert.rejects(table.getRows({ pageToken: 'not-a-token' }), (e: { code?: number }) => e.code === 400);
  });

  // https://cloud.google.com/bigquery/docs/reference/rest/v2/jobs/getQueryResults (maxResults, pageToken, startIndex)
  test('a sorted, filtered window comes back in order across pages of getQueryResults, from any startIndex', async () => {
    const expected = Array.from({ length: TRIP_COUNT }, (_, id) => id)
      .filter((id) => id % 3 === 1)
      .sort((a, b) => b - a);
    const [job] = await wh.bq.bigquery.createQueryJob({ query: "SELECT id, fare FROM wh.trips WHERE vendor = 'v1' ORDER BY fare DESC" });
    const seen: number[] = [];
    let options: Record<string, unknown> | null = { maxResults: 100, autoPaginate: false };
    while (options) {
      const [rows, next] = (await job.getQueryResults(options)) as unknown as Page<{ id: number }>;
      seen.push(...rows.map((r) => r.id));
      options = next;
    }
    assert.deepEqual(seen, expected);
    const [window] = (await job.getQueryResults({ startIndex: '300', maxResults: 5, autoPaginate: false })) as unknown as Page<{
      id: number;
    }>;
    assert.deepEqual(
      window.map((r) => r.id),
      expected.slice(300, 305),
    );
  });
});

describe('GoogleSQL the emulator translates', () => {
  // https://cloud.google.com/bigquery/docs/reference/standard-sql/date_functions, …/timestamp_functions,
  // …/mathematical_functions#safe_divide, …/query-syntax#qualify_clause, …/query-syntax#unnest_operator
  test('date and timestamp functions, SAFE_DIVIDE, COUNTIF, QUALIFY and UNNEST aliases give GoogleSQL results and types', async () => {
    const [rows] = await wh.bq.bigquery.query(`
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
    const [profile] = await wh.bq.bigquery.query(
      "SELECT APPROX_QUANTILES(id, 4) AS quartiles, SAFE.PARSE_DATE('%Y-%m-%d', 'not a date') AS bad_date, TO_JSON_STRING(STRUCT(1 AS a)) AS json FROM wh.trips WHERE id <= 100",
    );
    assert.equal(profile[0].json, '{"a":1}');
    assert.deepEqual(profile[0].quartiles, [0, 25, 50, 75, 100]);
    assert.equal(profile[0].bad_date, null);
    const [unnested] = await wh.bq.bigquery.query('SELECT n * 2 AS twice FROM UNNEST([1, 2, 3]) AS n ORDER BY n');
    assert.deepEqual(unnested, [{ twice: 2 }, { twice: 4 }, { twice: 6 }]);
    const [job] = await wh.bq.bigquery.createQueryJob({
      query: "SELECT TIMESTAMP '2021-01-01 10:00:00' AS at, DATETIME '2021-01-01 10:00:00' AS civil",
      dryRun: true,
    });
    assert.deepEqual(
      job.metadata.statistics.query.schema.fields.map((f: { type: string }) => f.type),
      ['TIMESTAMP', 'DATETIME'],
    );
  });
});
