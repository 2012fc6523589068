/**
 * What Google documents, checked against our emulators through the official clients over HTTP: one test per
 * behaviour, each naming the page it comes from. The emulators were written from these pages, not from the
 * exporters, so an exporter that disagrees with Google fails against them too.
 */
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { CRC32C } from '@google-cloud/storage';
import { startBigQueryFixture, type BigQueryFixture } from './helpers/bigquery.ts';
import { startGcsFixture, type GcsFixture } from './helpers/gcs.ts';

let gcs: GcsFixture;
let bq: BigQueryFixture;
let files: string;

before(async () => {
  gcs = await startGcsFixture();
  bq = await startBigQueryFixture({ gcsDataDir: gcs.root });
  files = mkdtempSync(path.join(os.tmpdir(), 'pw-conformance-'));
});
after(async () => {
  await bq.close();
  await gcs.close();
});
beforeEach(async () => {
  await setModes(gcs.emulator.url, null);
  await setModes(bq.endpoint, null);
});

/** Switches emulator modes through the admin endpoint (null: all off), as a sandbox user would. */
async function setModes(endpoint: string, modes: Record<string, unknown> | null): Promise<void> {
  const response = await fetch(
    `${endpoint}/_emulator/modes`,
    modes ? { method: 'POST', body: JSON.stringify(modes) } : { method: 'DELETE' },
  );
  assert.equal(response.status, 200, await response.text());
}

/** Writes a Parquet file with DuckDB and uploads it; returns the gs:// URI. */
async function parquetObject(bucket: string, name: string, sql: string): Promise<string> {
  const file = path.join(files, `${name.replaceAll('/', '_')}.parquet`);
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  await conn.run(`SET TimeZone = 'UTC'; COPY (${sql}) TO '${file}' (FORMAT parquet)`);
  conn.closeSync();
  instance.closeSync();
  const [exists] = await gcs.storage.bucket(bucket).exists();
  if (!exists) await gcs.storage.createBucket(bucket);
  await gcs.storage.bucket(bucket).upload(file, { destination: name, resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
  return `gs://${bucket}/${name}`;
}

/** Runs a load job to DONE; rejects with the job's error. */
async function load(datasetId: string, tableId: string, loadConfig: Record<string, unknown>, location?: string) {
  const [job] = await bq.bigquery.createJob({
    configuration: {
      load: { destinationTable: { projectId: 'test-project', datasetId, tableId }, sourceFormat: 'PARQUET', ...loadConfig },
    },
    ...(location ? { location } : {}),
  });
  await job.promise();
  return job;
}

async function fieldsOf(datasetId: string, tableId: string): Promise<string[]> {
  const [meta] = await bq.bigquery.dataset(datasetId).table(tableId).getMetadata();
  return meta.schema.fields.map(
    (f: { name: string; type: string; mode?: string }) => `${f.name} ${f.type}${f.mode === 'REPEATED' ? ' REPEATED' : ''}`,
  );
}

async function ensureDataset(id: string, location: string): Promise<void> {
  const [exists] = await bq.bigquery.dataset(id).exists();
  if (!exists) await bq.bigquery.createDataset(id, { location });
}

describe('Cloud Storage, as Google documents it', () => {
  // https://cloud.google.com/storage/docs/buckets#naming ("Bucket names reside in a single namespace")
  // https://cloud.google.com/storage/docs/json_api/v1/status-codes#409-conflict
  test('a bucket name owned by another project answers 403 on get and 409 on create', async () => {
    await setModes(gcs.emulator.url, { foreignBuckets: ['someone-elses'] });
    await assert.rejects(
      gcs.storage.bucket('someone-elses').getMetadata(),
      (e: { code?: number; message: string }) => e.code === 403 && /does not have storage\.buckets\.get access/.test(e.message),
    );
    await assert.rejects(
      gcs.storage.createBucket('someone-elses'),
      (e: { code?: number; message: string }) => e.code === 409 && /not available/.test(e.message),
    );
  });

  // https://cloud.google.com/storage/docs/json_api/v1/status-codes#409-conflict
  test('creating a bucket this project already owns answers 409 "you already own it"', async () => {
    await gcs.storage.createBucket('ours-already');
    await assert.rejects(
      gcs.storage.createBucket('ours-already'),
      (e: { code?: number; message: string }) => e.code === 409 && /already own it/.test(e.message),
    );
  });

  // https://cloud.google.com/storage/docs/access-control/iam-roles (Storage Object Admin has no storage.buckets.get)
  test('a principal without storage.buckets.get cannot read the bucket but can list and write its objects', async () => {
    await gcs.storage.createBucket('objects-only');
    await setModes(gcs.emulator.url, { deniedPermissions: ['storage.buckets.get'] });
    const bucket = gcs.storage.bucket('objects-only');
    await assert.rejects(
      bucket.exists(),
      (e: { code?: number; message: string }) => e.code === 403 && /Permission 'storage\.buckets\.get' denied/.test(e.message),
    );
    await bucket.file('a.txt').save('x', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
    const [listed] = await bucket.getFiles();
    assert.deepEqual(
      listed.map((f) => f.name),
      ['a.txt'],
    );
  });

  // https://cloud.google.com/storage/docs/json_api/v1/buckets/list (requires storage.buckets.list on the project)
  test("a principal without storage.buckets.list cannot list the project's buckets", async () => {
    await setModes(gcs.emulator.url, { deniedPermissions: ['storage.buckets.list'] });
    await assert.rejects(
      gcs.storage.getBuckets(),
      (e: { code?: number; message: string }) =>
        e.code === 403 && /storage\.buckets\.list access to the Google Cloud project/.test(e.message),
    );
  });

  // https://cloud.google.com/storage/docs/json_api/v1/buckets/testIamPermissions
  test('testIamPermissions answers the subset of permissions the caller holds', async () => {
    await gcs.storage.createBucket('iam-probe');
    await setModes(gcs.emulator.url, { deniedPermissions: ['storage.objects.delete'] });
    const [granted] = await gcs.storage
      .bucket('iam-probe')
      .iam.testPermissions(['storage.objects.create', 'storage.objects.delete', 'storage.objects.list']);
    assert.deepEqual(granted, { 'storage.objects.create': true, 'storage.objects.delete': false, 'storage.objects.list': true });
  });

  // https://cloud.google.com/storage/docs/json_api/v1/status-codes#403-forbidden (accessNotConfigured; billing disabled)
  test('a disabled API and closed billing answer 403 with their own reasons', async () => {
    await setModes(gcs.emulator.url, { apiDisabled: true });
    await assert.rejects(
      gcs.storage.createBucket('api-off'),
      (e: { code?: number; message: string }) =>
        e.code === 403 && /Cloud Storage JSON API has not been used in project test-project/.test(e.message),
    );
    await setModes(gcs.emulator.url, { apiDisabled: false, billingDisabled: true });
    await assert.rejects(
      gcs.storage.createBucket('billing-off'),
      (e: { code?: number; message: string }) => e.code === 403 && /billing account for the owning project is disabled/.test(e.message),
    );
  });

  // https://cloud.google.com/storage/docs/hashes-etags#crc32c
  test('object crc32c is the big-endian base64 CRC32C of the bytes', async () => {
    await gcs.storage.createBucket('hashes');
    const data = Buffer.from('The quick brown fox jumps over the lazy dog');
    await gcs.storage
      .bucket('hashes')
      .file('fox')
      .save(data, { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
    const [meta] = await gcs.storage.bucket('hashes').file('fox').getMetadata();
    const crc = new CRC32C();
    crc.update(data);
    assert.equal(meta.crc32c, crc.toString());
    assert.equal(Buffer.from(String(meta.crc32c), 'base64').readUInt32BE(), 0x22620404); // RFC 3720 B.4 style known answer for this text
  });
});

describe('BigQuery loads, as Google documents them', () => {
  // https://cloud.google.com/bigquery/docs/loading-data-cloud-storage-parquet#parquet_conversions
  test('Parquet types load per the conversion table, lists as REPEATED only with list inference', async () => {
    await ensureDataset('conv', 'US');
    const uri = await parquetObject(
      'parquet-types',
      'types.parquet',
      `SELECT 1::INTEGER AS i32, 2::BIGINT AS i64, 1.5::DOUBLE AS f, true AS b, 'x' AS s,
      '\\x01'::BLOB AS raw, DATE '2021-01-01' AS d, 1.25::DECIMAL(10,2) AS n, TIME '01:02:03' AS t, [1, 2] AS l, {'a': 1} AS st`,
    );
    await load('conv', 'types', { sourceUris: [uri] });
    assert.deepEqual(await fieldsOf('conv', 'types'), [
      'i32 INTEGER',
      'i64 INTEGER',
      'f FLOAT',
      'b BOOLEAN',
      's STRING',
      'raw BYTES',
      'd DATE',
      'n NUMERIC',
      't TIME',
      'l RECORD',
      'st RECORD',
    ]);
    await load('conv', 'types_lists', { sourceUris: [uri], parquetOptions: { enableListInference: true } });
    assert.ok((await fieldsOf('conv', 'types_lists')).includes('l INTEGER REPEATED'));
  });

  // https://cloud.google.com/bigquery/docs/loading-data-cloud-storage-parquet#parquet_conversions (TIMESTAMP logical type)
  test('a naive Parquet timestamp (isAdjustedToUTC=false) loads as DATETIME, a UTC-adjusted one as TIMESTAMP', async () => {
    await ensureDataset('ts', 'US');
    const uri = await parquetObject(
      'parquet-ts',
      'both.parquet',
      `SELECT TIMESTAMP '2021-01-01 10:00:00' AS naive, TIMESTAMPTZ '2021-01-01 10:00:00+00' AS utc`,
    );
    await load('ts', 'detected', { sourceUris: [uri] });
    assert.deepEqual(await fieldsOf('ts', 'detected'), ['naive DATETIME', 'utc TIMESTAMP']);
    const [rows] = await bq.bigquery.query('SELECT naive, utc FROM ts.detected');
    assert.equal(rows[0].naive.value, '2021-01-01T10:00:00');
    assert.equal(rows[0].utc.value, '2021-01-01T10:00:00.000Z');
  });

  // https://cloud.google.com/bigquery/docs/loading-data-cloud-storage-parquet (an explicit schema says how to read the column)
  test('an explicit schema may read a naive timestamp as TIMESTAMP', async () => {
    await ensureDataset('ts', 'US');
    const uri = await parquetObject('parquet-ts', 'naive.parquet', `SELECT TIMESTAMP '2021-01-01 10:00:00' AS naive`);
    await load('ts', 'declared', { sourceUris: [uri], schema: { fields: [{ name: 'naive', type: 'TIMESTAMP' }] } });
    assert.deepEqual(await fieldsOf('ts', 'declared'), ['naive TIMESTAMP']);
  });

  // https://cloud.google.com/bigquery/docs/loading-data-cloud-storage-parquet#appending_to_or_overwriting_a_table_with_parquet_data
  test("appending naive timestamps to a TIMESTAMP column without a schema fails with BigQuery's message", async () => {
    await ensureDataset('ts', 'US');
    const utc = await parquetObject('parquet-ts', 'utc.parquet', `SELECT TIMESTAMPTZ '2021-01-01 10:00:00+00' AS at`);
    const naive = await parquetObject('parquet-ts', 'naive-at.parquet', `SELECT TIMESTAMP '2021-01-01 11:00:00' AS at`);
    await load('ts', 'instants', { sourceUris: [utc] });
    await assert.rejects(
      load('ts', 'instants', { sourceUris: [naive], writeDisposition: 'WRITE_APPEND' }),
      /Provided Schema does not match Table test-project:ts\.instants\. Field at has changed type from TIMESTAMP to DATETIME/,
    );
  });

  // https://cloud.google.com/bigquery/docs/loading-data-cloud-storage-parquet#limitations
  // https://cloud.google.com/bigquery/docs/locations (data locations must match)
  test('a dataset outside the US multi-region cannot load from a bucket in another location', async () => {
    await ensureDataset('eu_data', 'EU');
    await gcs.storage.createBucket('us-bucket', { location: 'US' });
    const uri = await parquetObject('us-bucket', 'x.parquet', 'SELECT 1 AS x');
    await assert.rejects(
      load('eu_data', 'from_us', { sourceUris: [uri] }),
      /Cannot read and write in different locations: source: US, destination: EU/,
    );
    await gcs.storage.createBucket('eu-region-bucket', { location: 'europe-west1' });
    const inEurope = await parquetObject('eu-region-bucket', 'x.parquet', 'SELECT 1 AS x');
    await load('eu_data', 'from_europe', { sourceUris: [inEurope] });
  });

  // https://cloud.google.com/bigquery/docs/reference/rest/v2/jobs/get#query-parameters (location required outside US and EU)
  test('a job in a single region is found only when its location is given', async () => {
    await ensureDataset('regional', 'europe-west1');
    await gcs.storage.createBucket('regional-bucket', { location: 'europe-west1' });
    const uri = await parquetObject('regional-bucket', 'r.parquet', 'SELECT 1 AS x');
    const job = await load('regional', 'r', { sourceUris: [uri] }, 'europe-west1');
    await assert.rejects(bq.bigquery.job(job.id!).getMetadata(), (e: { code?: number }) => e.code === 404);
    const [meta] = await bq.bigquery.job(job.id!, { location: 'europe-west1' }).getMetadata();
    assert.equal(meta.status.state, 'DONE');
  });

  // https://cloud.google.com/bigquery/docs/locations#specify_locations
  test('a job sent to the wrong location does not find its dataset', async () => {
    await ensureDataset('regional', 'europe-west1');
    const uri = await parquetObject('regional-bucket', 'w.parquet', 'SELECT 1 AS x');
    await assert.rejects(
      load('regional', 'w', { sourceUris: [uri] }, 'US'),
      /Not found: Dataset test-project:regional was not found in location US/,
    );
  });

  // https://cloud.google.com/bigquery/docs/hive-partitioned-loads-gcs#supported_data_layouts
  test('hive partition values are taken literally, without percent-decoding', async () => {
    await ensureDataset('hive', 'US');
    await parquetObject('hive-lake', 'trips/city=New%20York/part-0.parquet', 'SELECT 1 AS id');
    await load('hive', 'cities', {
      sourceUris: ['gs://hive-lake/trips/*'],
      hivePartitioningOptions: { mode: 'STRINGS', sourceUriPrefix: 'gs://hive-lake/trips/' },
    });
    const [rows] = await bq.bigquery.query('SELECT city FROM hive.cities');
    assert.equal(rows[0].city, 'New%20York');
  });

  // https://cloud.google.com/bigquery/docs/access-control#bigquery.jobs.create
  test('a principal without bigquery.jobs.create is refused with the permission named', async () => {
    await ensureDataset('conv', 'US');
    await setModes(bq.endpoint, { deniedPermissions: ['bigquery.jobs.create'] });
    await assert.rejects(
      bq.bigquery.createQueryJob({ query: 'SELECT 1' }),
      (e: { code?: number; message: string }) =>
        e.code === 403 && /User does not have bigquery\.jobs\.create permission in project test-project/.test(e.message),
    );
  });

  // https://cloud.google.com/bigquery/docs/error-messages (accessNotConfigured)
  test('a disabled BigQuery API answers 403 accessNotConfigured with the link to enable it', async () => {
    await setModes(bq.endpoint, { apiDisabled: true });
    await assert.rejects(
      bq.bigquery.getDatasets(),
      (e: { code?: number; message: string }) => e.code === 403 && /BigQuery API has not been used in project test-project/.test(e.message),
    );
  });

  // https://cloud.google.com/bigquery/docs/dry-run-queries
  test('a dry run reports the bytes a query would read without running it', async () => {
    await ensureDataset('dry', 'US');
    await load('dry', 'numbers', { sourceUris: [await parquetObject('dry-lake', 'n.parquet', 'SELECT range AS n FROM range(100)')] });
    const [job] = await bq.bigquery.createQueryJob({ query: 'SELECT n FROM dry.numbers', dryRun: true });
    assert.ok(Number(job.metadata.statistics.totalBytesProcessed) > 0);
    const [jobs] = await bq.bigquery.getJobs();
    assert.ok(!jobs.some((j) => j.metadata.configuration?.dryRun), 'a dry run leaves no job behind');
    await assert.rejects(
      bq.bigquery.createQueryJob({ query: 'SELECT nope FROM dry.numbers', dryRun: true }),
      (e: { code?: number }) => e.code === 400,
    );
  });
});

describe('emulators written apart from the exporters', () => {
  // design.md: "Emulators import nothing of ours beyond HTTP helpers", so they can disagree with the exporters.
  test('neither emulator imports exporter code (type mapping, naming, partition encoding, checksums)', () => {
    const allowed = /^(node:|zod$|@duckdb\/node-api$|\.\/|\.\.\/http-util\.ts$|\.\.\/multipart\.ts$|\.\.\/gcs-emulator\/)/;
    const offending: string[] = [];
    for (const dir of ['main/cloud/gcs-emulator', 'main/cloud/bigquery-emulator']) {
      for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
        for (const match of readFileSync(path.join(dir, file), 'utf8').matchAll(/from '([^']+)'|import\('([^']+)'\)/g)) {
          const target = match[1] ?? match[2] ?? '';
          if (!allowed.test(target)) offending.push(`${dir}/${file} imports ${target}`);
        }
      }
    }
    assert.deepEqual(offending, []);
  });
});
