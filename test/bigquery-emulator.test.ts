import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { createBigQueryClient } from '../main/cloud/bigquery-client.ts';
import { UserError } from '../main/model/errors.ts';
import { startBigQueryEmulator } from '../main/cloud/bigquery-emulator/server.ts';
import { startBigQueryFixture, type BigQueryFixture } from './helpers/bigquery.ts';
import { startGcsFixture, type GcsFixture } from './helpers/gcs.ts';

let bq: BigQueryFixture;
let gcs: GcsFixture;
let files: string;

/** Writes a local file with DuckDB's COPY (the same writer our exports use). */
async function duckCopy(sql: string, file: string, options: string): Promise<string> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  await conn.run(`COPY (${sql}) TO '${file}' (${options})`);
  conn.closeSync();
  instance.closeSync();
  return file;
}

// picked_at is UTC-adjusted (TIMESTAMPTZ → Parquet isAdjustedToUTC=true), which BigQuery loads as TIMESTAMP.
const TRIPS = `SELECT range::BIGINT AS id, TIMESTAMPTZ '2021-01-01 00:00:00+00' + INTERVAL (range) MINUTE AS picked_at,
  DATE '2021-01-01' + (range % 3)::INTEGER AS pickup_date, (range * 0.25)::DECIMAL(10,2) AS fare, 'v' || range AS vendor FROM range(1000)`;
const SCHEMA = [
  { name: 'id', type: 'INTEGER' },
  { name: 'picked_at', type: 'TIMESTAMP' },
  { name: 'pickup_date', type: 'DATE' },
  { name: 'fare', type: 'NUMERIC' },
  { name: 'vendor', type: 'STRING' },
];

before(async () => {
  gcs = await startGcsFixture();
  bq = await startBigQueryFixture({ gcsDataDir: gcs.root });
  files = mkdtempSync(path.join(os.tmpdir(), 'pw-bq-files-'));
  await duckCopy(TRIPS, path.join(files, 'trips.parquet'), 'FORMAT parquet');
  await bq.bigquery.createDataset('taxi');
});
after(async () => {
  await bq.close();
  await gcs.close();
});

async function count(table: string): Promise<number> {
  const [rows] = await bq.bigquery.query(`SELECT count(*) AS n FROM \`test-project.taxi.${table}\``);
  return Number(rows[0].n);
}

describe('BigQuery emulator with the official client', () => {
  test('creates, gets, lists and deletes datasets, and answers 409 for a duplicate', async () => {
    await bq.bigquery.createDataset('scratch', { location: 'EU' });
    const [meta] = await bq.bigquery.dataset('scratch').getMetadata();
    assert.equal(meta.location, 'EU');
    const [datasets] = await bq.bigquery.getDatasets();
    assert.ok(datasets.map((d) => d.id).includes('scratch'));
    await assert.rejects(bq.bigquery.createDataset('scratch'), (e: { code?: number }) => e.code === 409);
    await assert.rejects(bq.bigquery.createDataset('bad-name'), /Invalid dataset ID/);
    await bq.bigquery.dataset('scratch').delete();
    assert.equal((await bq.bigquery.dataset('scratch').exists())[0], false);
  });

  test('creates a table with a schema and returns it exactly, with partitioning and clustering', async () => {
    await bq.bigquery.dataset('taxi').createTable('typed', {
      schema: { fields: SCHEMA },
      timePartitioning: { type: 'DAY', field: 'pickup_date' },
      clustering: { fields: ['vendor'] },
    });
    const [meta] = await bq.bigquery.dataset('taxi').table('typed').getMetadata();
    assert.deepEqual(
      meta.schema.fields.map((f: { name: string; type: string }) => `${f.name} ${f.type}`),
      ['id INTEGER', 'picked_at TIMESTAMP', 'pickup_date DATE', 'fare NUMERIC', 'vendor STRING'],
    );
    assert.deepEqual(meta.timePartitioning, { type: 'DAY', field: 'pickup_date' });
    assert.deepEqual(meta.clustering, { fields: ['vendor'] });
    const [tables] = await bq.bigquery.dataset('taxi').getTables();
    assert.ok(tables.map((t) => t.id).includes('typed'));
    await bq.bigquery.dataset('taxi').table('typed').delete();
    assert.equal((await bq.bigquery.dataset('taxi').table('typed').exists())[0], false);
  });

  test('loads an uploaded Parquet file: truncate replaces, append adds, empty refuses a non-empty table', async () => {
    const table = bq.bigquery.dataset('taxi').table('uploaded');
    const parquet = path.join(files, 'trips.parquet');
    const [job] = await table.load(parquet, { sourceFormat: 'PARQUET', writeDisposition: 'WRITE_TRUNCATE', schema: { fields: SCHEMA } });
    assert.equal(job.status?.state, 'DONE');
    assert.equal(job.statistics?.load?.outputRows, '1000');
    await table.load(parquet, { sourceFormat: 'PARQUET', writeDisposition: 'WRITE_APPEND' });
    assert.equal(await count('uploaded'), 2000);
    await table.load(parquet, { sourceFormat: 'PARQUET', writeDisposition: 'WRITE_TRUNCATE' });
    assert.equal(await count('uploaded'), 1000);
    await assert.rejects(
      table.load(parquet, { sourceFormat: 'PARQUET', writeDisposition: 'WRITE_EMPTY' }),
      /Already Exists: Table test-project:taxi.uploaded/,
    );
    assert.equal(await count('uploaded'), 1000, 'a failed load changes nothing');
    const [rows] = await table.getRows({ maxResults: 2 });
    assert.equal(rows[1].picked_at.value, '2021-01-01T00:01:00.000Z');
    assert.equal(rows[1].pickup_date.value, '2021-01-02');
    assert.equal(String(rows[1].fare), '0.25');
  });

  test('loads CSV and newline-delimited JSON with an explicit schema, casting each column', async () => {
    const csv = path.join(files, 'trips.csv');
    writeFileSync(csv, 'id,when,ok\n1,2021-01-01 10:00:00,true\n2,2021-01-02 11:30:00,false\n');
    const table = bq.bigquery.dataset('taxi').table('from_csv');
    const schema = {
      fields: [
        { name: 'id', type: 'INT64' },
        { name: 'when', type: 'TIMESTAMP' },
        { name: 'ok', type: 'BOOL' },
      ],
    };
    await table.load(csv, { sourceFormat: 'CSV', skipLeadingRows: 1, schema });
    const json = path.join(files, 'trips.jsonl');
    writeFileSync(json, '{"id": 3, "when": "2021-01-03 12:00:00", "ok": true}\n');
    await table.load(json, { sourceFormat: 'NEWLINE_DELIMITED_JSON', schema });
    const [rows] = await bq.bigquery.query('SELECT id, `when`, ok FROM taxi.from_csv ORDER BY id');
    assert.deepEqual(
      rows.map((r) => [r.id, r.when.value, r.ok]),
      [
        [1, '2021-01-01T10:00:00.000Z', true],
        [2, '2021-01-02T11:30:00.000Z', false],
        [3, '2021-01-03T12:00:00.000Z', true],
      ],
    );
    const [meta] = await table.getMetadata();
    assert.deepEqual(
      meta.schema.fields.map((f: { type: string }) => f.type),
      ['INTEGER', 'TIMESTAMP', 'BOOLEAN'],
    );
  });

  test('loads hive-partitioned Parquet from the GCS emulator, the partition key back as a DATE column', async () => {
    const bucket = gcs.storage.bucket('lake');
    await bucket.create();
    for (const day of ['2021-01-01', '2021-01-02', '2021-01-03']) {
      const file = await duckCopy(
        `SELECT * EXCLUDE (pickup_date) FROM (${TRIPS}) WHERE pickup_date = DATE '${day}'`,
        path.join(files, `${day}.parquet`),
        'FORMAT parquet',
      );
      await bucket.upload(file, {
        destination: `trips/pickup_date=${day}/part-00000.parquet`,
        resumable: false,
        preconditionOpts: { ifGenerationMatch: 0 },
      });
    }
    const [job] = await bq.bigquery.createJob({
      configuration: {
        load: {
          destinationTable: { projectId: 'test-project', datasetId: 'taxi', tableId: 'from_gcs' },
          sourceFormat: 'PARQUET',
          sourceUris: ['gs://lake/trips/*.parquet'],
          hivePartitioningOptions: { mode: 'AUTO', sourceUriPrefix: 'gs://lake/trips/' },
        },
      },
    });
    const [meta] = await job.promise().then(() => job.getMetadata());
    assert.equal(meta.statistics.load.outputRows, '1000');
    assert.equal(meta.statistics.load.inputFiles, '3');
    const [table] = await bq.bigquery.dataset('taxi').table('from_gcs').getMetadata();
    assert.deepEqual(
      table.schema.fields.map((f: { name: string; type: string }) => `${f.name} ${f.type}`),
      ['id INTEGER', 'picked_at TIMESTAMP', 'fare NUMERIC', 'vendor STRING', 'pickup_date DATE'],
    );
    const [perDay] = await bq.bigquery.query(
      'SELECT CAST(pickup_date AS VARCHAR) AS day, count(*) AS n FROM `taxi.from_gcs` GROUP BY 1 ORDER BY 1',
    );
    assert.deepEqual(perDay, [
      { day: '2021-01-01', n: 334 },
      { day: '2021-01-02', n: 333 },
      { day: '2021-01-03', n: 333 },
    ]);
  });

  test('a load from a URI that matches nothing ends DONE with errorResult notFound', async () => {
    const [job] = await bq.bigquery.createJob({
      configuration: {
        load: {
          destinationTable: { projectId: 'test-project', datasetId: 'taxi', tableId: 'nothing' },
          sourceFormat: 'PARQUET',
          sourceUris: ['gs://lake/none/*'],
        },
      },
    });
    await assert.rejects(job.promise(), /Not found: URI gs:\/\/lake\/none\/\*/);
    const [meta] = await job.getMetadata();
    assert.deepEqual(meta.status.errorResult, {
      reason: 'notFound',
      message: 'Not found: URI gs://lake/none/*',
      location: 'gs://lake/none/*',
    });
    assert.deepEqual(meta.status.errors, [meta.status.errorResult]);
  });

  test('pages query results and table data with maxResults and pageToken', async () => {
    const [job] = await bq.bigquery.createQueryJob({ query: 'SELECT id FROM `test-project.taxi.uploaded` WHERE id < 25 ORDER BY id' });
    const seen: number[] = [];
    let options: Record<string, unknown> | null = { maxResults: 10, autoPaginate: false };
    let pages = 0;
    while (options) {
      const [rows, next]: [{ id: number }[], Record<string, unknown> | null, ...unknown[]] = (await job.getQueryResults(options)) as never;
      seen.push(...rows.map((r) => r.id));
      options = next;
      pages++;
    }
    assert.equal(pages, 3);
    assert.deepEqual(
      seen,
      Array.from({ length: 25 }, (_, i) => i),
    );
    const [first, next] = (await bq.bigquery
      .dataset('taxi')
      .table('uploaded')
      .getRows({ maxResults: 400, autoPaginate: false })) as unknown as [unknown[], { pageToken?: string }];
    assert.equal(first.length, 400);
    assert.ok(next?.pageToken);
    const [all] = await bq.bigquery.dataset('taxi').table('uploaded').getRows();
    assert.equal(all.length, 1000);
  });

  test('refuses DML with a clear invalidQuery error and translates GoogleSQL names and strings', async () => {
    await assert.rejects(bq.bigquery.query('DELETE FROM taxi.uploaded WHERE true'), /DELETE \(DML\) is not supported by the emulator/);
    const [rows] = await bq.bigquery.query(
      'SELECT "it\'s" AS s, SAFE_CAST("x" AS INT64) AS n, * EXCEPT (vendor, picked_at, pickup_date, fare) FROM `taxi`.`uploaded` WHERE id = 7 # comment',
    );
    assert.deepEqual(rows, [{ s: "it's", n: null, id: 7 }]);
  });

  test('answers 409 to a second insert of the same job id', async () => {
    const configuration = { query: { query: 'SELECT 1 AS one', useLegacySql: false } };
    await bq.bigquery.createJob({ configuration, jobId: 'fixed_id' });
    await assert.rejects(
      bq.bigquery.createJob({ configuration, jobId: 'fixed_id' }),
      (e: { code?: number; message: string }) => e.code === 409 && /Already Exists: Job test-project:US.fixed_id/.test(e.message),
    );
  });

  test('the client retries 503s on job insert and 429 bursts on reads, and the faults really fire', async () => {
    await bq.resetFaults();
    await bq.fault({ operation: 'jobs.insert', times: 1, action: { status: 503 } });
    await bq.fault({ operation: 'jobs.getQueryResults', times: 2, action: { status: 429 } });
    const [job] = await bq.bigquery.createQueryJob({ query: 'SELECT 42 AS answer' });
    const [result] = await job.getQueryResults();
    assert.deepEqual(result, [{ answer: 42 }]);
    const counts = await bq.counts();
    assert.equal(counts.fired['jobs.insert'], 1);
    assert.equal(counts.fired['jobs.getQueryResults'], 2);
    assert.equal(counts.pending, 0);
  });

  test('a dropped connection after the insert landed: the client retries, gets 409 and follows the existing job', async () => {
    await bq.resetFaults();
    await bq.fault({ operation: 'jobs.insert', times: 1, action: { resetAfterCommit: true } });
    const [job] = await bq.bigquery.createQueryJob({ query: 'SELECT 7 AS seven' });
    const [result] = await job.getQueryResults();
    assert.deepEqual(result, [{ seven: 7 }]);
    assert.equal((await bq.counts()).requests['jobs.insert'], 2);
  });

  test('takes load data through the resumable upload endpoint, in chunks', async () => {
    const base = `${bq.endpoint}/upload/bigquery/v2/projects/test-project/jobs?uploadType=resumable`;
    const body = {
      configuration: {
        load: {
          destinationTable: { projectId: 'test-project', datasetId: 'taxi', tableId: 'resumable' },
          sourceFormat: 'CSV',
          autodetect: true,
          skipLeadingRows: 1,
        },
      },
      jobReference: { jobId: 'resumable_1' },
    };
    const opened = await fetch(base, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
    const session = opened.headers.get('location')!;
    const data = Buffer.from('a,b\n1,x\n2,y\n');
    const first = await fetch(session, { method: 'PUT', body: data.subarray(0, 5), headers: { 'Content-Range': 'bytes 0-4/*' } });
    assert.equal(first.status, 308);
    assert.equal(first.headers.get('range'), 'bytes=0-4');
    const last = await fetch(session, {
      method: 'PUT',
      body: data.subarray(5),
      headers: { 'Content-Range': `bytes 5-${data.length - 1}/${data.length}` },
    });
    assert.equal(last.status, 200);
    const job = bq.bigquery.job('resumable_1');
    await job.promise();
    assert.equal(await count('resumable'), 2);
  });

  test('keeps tables and jobs across a restart over the same data folder', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'pw-bq-restart-'));
    let emulator = await startBigQueryEmulator({ dataDir });
    let client = await createBigQueryClient({ endpoint: emulator.endpoint, project_id: 'p' }, dataDir, {});
    await client.createDataset('kept');
    await client
      .dataset('kept')
      .table('t')
      .load(path.join(files, 'trips.parquet'), { sourceFormat: 'PARQUET', jobId: 'kept_load' } as never);
    await emulator.close();
    emulator = await startBigQueryEmulator({ dataDir });
    client = await createBigQueryClient({ endpoint: emulator.endpoint, project_id: 'p' }, dataDir, {});
    const [rows] = await client.query('SELECT count(*) AS n FROM kept.t');
    assert.equal(rows[0].n, 1000);
    const [job] = await client.job('kept_load').getMetadata();
    assert.equal(job.statistics.load.outputRows, '1000');
    await emulator.close();
  });

  test('with credentials none the client sends no Authorization header and asks no metadata server', async () => {
    const seen: { url: string; authorization: string | undefined }[] = [];
    const server = createServer((req, res) => {
      seen.push({ url: req.url ?? '', authorization: req.headers.authorization });
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ kind: 'bigquery#datasetList', datasets: [] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    const client = await createBigQueryClient({ endpoint, project_id: 'p' }, files, {});
    await client.getDatasets();
    await new Promise((resolve) => setTimeout(resolve, 50));
    process.off('warning', onWarning);
    server.close();
    assert.deepEqual(seen, [{ url: '/bigquery/v2/projects/p/datasets?prettyPrint=false', authorization: undefined }]);
    // Without the pass-through client, Application Default Credentials probe the GCE metadata server and warn.
    assert.deepEqual(
      warnings.filter((w) => w === 'MetadataLookupWarning'),
      [],
    );
  });

  test('a malformed key file is refused with its name before any request', async () => {
    writeFileSync(path.join(files, 'key.json'), '{"type": "service_account"}');
    await assert.rejects(
      createBigQueryClient({ project_id: 'p', credentials: { key_file: 'key.json' } }, files, { block: 'b' }),
      (e: unknown) =>
        e instanceof UserError && /key\.json is not a service-account key: it lacks client_email, private_key/.test(e.message),
    );
  });
});
