import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CancelledError, OperationalError, UserError } from '../main/model/errors.ts';
import type { RunEvent } from '../main/model/run-events.ts';
import { gcsExport, STAGING_ROOT } from '../main/blocks/gcs-export.ts';
import { createBlockHarness, type BlockHarness } from './helpers/block-context.ts';
import { startGcsFixture, type GcsFixture } from './helpers/gcs.ts';
import { querySource } from './helpers/test-kinds.ts';

/** A source whose output is any SELECT, to give the export a known upstream. */

const TRIPS = `SELECT range::INTEGER AS id, DATE '2021-01-01' + (range % 3)::INTEGER AS pickup_date,
  TIMESTAMP '2021-01-01 00:00:00' + INTERVAL (range) MINUTE AS picked_at, (range * 0.5)::DECIMAL(10,2) AS fare,
  md5(range::VARCHAR) || md5((range + 1)::VARCHAR) AS noise FROM range(20000)`;

let harness: BlockHarness;
let gcs: GcsFixture;
let bucketName = 'exports';
let buckets = 0;

before(async () => {
  harness = await createBlockHarness();
  gcs = await startGcsFixture();
  await harness.run(querySource, { id: 'trips', config: { sql: TRIPS } });
});
after(async () => {
  await gcs.close();
  await harness.close();
});
beforeEach(() => {
  bucketName = `exports-${++buckets}`;
});

function exportTrips(config: Record<string, unknown>, upstream = ['trips']) {
  const settings = {
    endpoint: gcs.emulator.url,
    project_id: 'test-project',
    bucket: bucketName,
    create_bucket: true,
    retry: { max_delay_seconds: 1 },
  };
  return harness.attempt(gcsExport, { id: 'to_gcs', upstream, config: { ...settings, ...config } });
}

/** Every object in the bucket, name → size, read with the official client. */
async function objects(): Promise<Map<string, number>> {
  const [files] = await gcs.storage.bucket(bucketName).getFiles();
  return new Map(files.map((f) => [f.name, Number(f.metadata.size)]));
}

/** Downloads a prefix with the official client (downloads are crc32c-validated) into a fresh local folder. */
async function download(prefix: string): Promise<string> {
  const dir = mkdtempSync(path.join(harness.dir, 'dl-'));
  const [files] = await gcs.storage.bucket(bucketName).getFiles({ prefix });
  for (const file of files) {
    const target = path.join(dir, ...file.name.split('/'));
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, (await file.download())[0]);
  }
  return dir;
}

describe('export/gcs', () => {
  test('writes one Parquet object that DuckDB reads back with the same types, naive timestamps as UTC instants', async () => {
    const run = await exportTrips({ path: 'taxi/trips.parquet', compression: 'zstd' });
    assert.equal(run.error, undefined);
    assert.deepEqual([...(await objects()).keys()], ['taxi/trips.parquet']);
    const dir = await download('taxi/');
    const file = path.join(dir, 'taxi', 'trips.parquet');
    const types = await harness.query(`DESCRIBE SELECT * FROM read_parquet('${file}')`, []);
    assert.deepEqual(
      types.map((t) => `${t.column_name} ${t.column_type}`),
      ['id INTEGER', 'pickup_date DATE', 'picked_at TIMESTAMP WITH TIME ZONE', 'fare DECIMAL(10,2)', 'noise VARCHAR'],
    );
    const [count] = await harness.query(`SELECT count(*)::INTEGER AS n, sum(fare)::DOUBLE AS fares FROM read_parquet('${file}')`, []);
    assert.deepEqual(count, { n: 20000, fares: 99_995_000 });
    const [meta] = await gcs.storage.bucket(bucketName).file('taxi/trips.parquet').getMetadata();
    assert.ok(
      run.logs.some((l) =>
        l.message.includes(`gs://${bucketName}/taxi/trips.parquet (${meta.size} bytes, 20000 rows, crc32c ${meta.crc32c}`),
      ),
      'the log records name, size, rows and checksum',
    );
    assert.deepEqual(run.outcome, { rowsIn: 20000, rowsOut: 20000, bytes: Number(meta.size), hasOutput: false });
  });

  test('partitions by date: one folder per distinct date, rows per partition adding up, column left out of the files', async () => {
    const run = await exportTrips({ path: 'nyc_taxi_data', partition_by: ['pickup_date'] });
    assert.equal(run.error, undefined);
    const [, , listing] = (await gcs.storage
      .bucket(bucketName)
      .getFiles({ prefix: 'nyc_taxi_data/', delimiter: '/', autoPaginate: false })) as unknown as [
      unknown,
      unknown,
      { prefixes?: string[] },
    ];
    assert.deepEqual(listing.prefixes, [
      'nyc_taxi_data/pickup_date=2021-01-01/',
      'nyc_taxi_data/pickup_date=2021-01-02/',
      'nyc_taxi_data/pickup_date=2021-01-03/',
    ]);
    const dir = await download('nyc_taxi_data/');
    const perDay = await harness.query(
      `SELECT pickup_date::VARCHAR AS day, count(*)::INTEGER AS n FROM read_parquet('${dir}/nyc_taxi_data/**/*.parquet', hive_partitioning = true) GROUP BY 1 ORDER BY 1`,
      [],
    );
    const expected = await harness.query(`SELECT pickup_date::VARCHAR AS day, count(*)::INTEGER AS n FROM trips GROUP BY 1 ORDER BY 1`, [
      'trips',
    ]);
    assert.deepEqual(perDay, expected);
    assert.equal(
      perDay.reduce((sum, r) => sum + Number(r.n), 0),
      20000,
    );
    const inFile = await harness.query(
      `DESCRIBE SELECT * FROM read_parquet('${dir}/nyc_taxi_data/pickup_date=2021-01-01/*.parquet', hive_partitioning = false)`,
      [],
    );
    assert.deepEqual(
      inFile.map((t) => `${t.column_name} ${t.column_type}`),
      ['id INTEGER', 'picked_at TIMESTAMP WITH TIME ZONE', 'fare DECIMAL(10,2)', 'noise VARCHAR'],
    );
    assert.equal(run.outcome?.rowsOut, 20000);
  });

  test('timestamps: datetime writes naive timestamps as they are (Parquet isAdjustedToUTC=false)', async () => {
    const run = await exportTrips({ path: 'naive/trips.parquet', timestamps: 'datetime' });
    assert.equal(run.error, undefined);
    const dir = await download('naive/');
    const types = await harness.query(`DESCRIBE SELECT picked_at FROM read_parquet('${path.join(dir, 'naive', 'trips.parquet')}')`, []);
    assert.deepEqual(
      types.map((t) => t.column_type),
      ['TIMESTAMP'],
    );
  });

  test('three runs in replace mode leave exactly the same objects and no staged uploads', async () => {
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await exportTrips({ path: 'daily', partition_by: ['pickup_date'] }));
    assert.deepEqual(
      runs.map((r) => r.error),
      [undefined, undefined, undefined],
    );
    const names = [...(await objects()).keys()];
    assert.deepEqual(names, [
      'daily/pickup_date=2021-01-01/part-00000.parquet',
      'daily/pickup_date=2021-01-02/part-00000.parquet',
      'daily/pickup_date=2021-01-03/part-00000.parquet',
    ]);
    assert.ok(!names.some((n) => n.startsWith(STAGING_ROOT)));
  });

  test('replace removes objects the new run did not write, but only under the prefix', async () => {
    await exportTrips({ path: 'shrinking', partition_by: ['pickup_date'] });
    await gcs.storage
      .bucket(bucketName)
      .file('shrinking-neighbour/keep.txt')
      .save('x', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
    await harness.run(querySource, { id: 'one_day', config: { sql: `${TRIPS} WHERE range % 3 = 1` } });
    const run = await exportTrips({ path: 'shrinking', partition_by: ['pickup_date'] }, ['one_day']);
    assert.equal(run.error, undefined);
    assert.deepEqual(
      [...(await objects()).keys()],
      ['shrinking-neighbour/keep.txt', 'shrinking/pickup_date=2021-01-02/part-00000.parquet'],
    );
    assert.ok(run.logs.some((l) => l.message.includes('removed') && l.message.includes('pickup_date=2021-01-01')));
  });

  test('append adds part files named after the run and keeps earlier ones', async () => {
    await gcs.storage.bucket(bucketName).create();
    await gcs.storage
      .bucket(bucketName)
      .file('appended/pickup_date=2021-01-01/part-older-00000.parquet')
      .save('x', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
    const run = await exportTrips({ path: 'appended', partition_by: ['pickup_date'], mode: 'append', create_bucket: false });
    assert.equal(run.error, undefined);
    const names = [...(await objects()).keys()];
    assert.equal(names.length, 4);
    assert.ok(names.includes('appended/pickup_date=2021-01-01/part-older-00000.parquet'));
    assert.ok(
      names.some((n) => new RegExp(`^appended/pickup_date=2021-01-03/part-${harness.runId}-[0-9a-f]{8}-00000\\.parquet$`).test(n)),
      names.join(', '),
    );
  });

  test('odd partition values get safe, documented names and read back as the original values', async () => {
    const values = `SELECT * FROM (VALUES (1, NULL), (2, ''), (3, 'a/b'), (4, 'x=y'), (5, '..'), (6, 'café'), (7, '__HIVE_DEFAULT_PARTITION__')) t(id, k)`;
    await harness.run(querySource, { id: 'odd', config: { sql: values } });
    const run = await exportTrips({ path: 'odd', partition_by: ['k'] }, ['odd']);
    assert.equal(run.error, undefined);
    const folders = [...(await objects()).keys()].map((n) => n.split('/')[1]).sort();
    assert.deepEqual(folders, [
      'k=',
      'k=%2E%2E',
      'k=%5F_HIVE_DEFAULT_PARTITION__',
      'k=__HIVE_DEFAULT_PARTITION__',
      'k=a%2Fb',
      'k=caf%C3%A9',
      'k=x%3Dy',
    ]);
    const dir = await download('odd/');
    const back = await harness.query(
      `SELECT id, k FROM read_parquet('${dir}/odd/**/*.parquet', hive_partitioning = true, hive_types_autocast = false) ORDER BY id`,
      [],
    );
    assert.deepEqual(
      back.map((r) => r.k),
      [null, '', 'a/b', 'x=y', '..', 'café', '__HIVE_DEFAULT_PARTITION__'],
    );
  });

  test('writes gzip CSV and JSON lines partitions, counting the rows of each object', async () => {
    const csv = await exportTrips({ path: 'as_csv', partition_by: ['pickup_date'], format: 'csv', compression: 'gzip' });
    assert.equal(csv.error, undefined, String(csv.error));
    const json = await exportTrips({ path: 'as_json', partition_by: ['pickup_date'], format: 'jsonl' });
    assert.equal(json.error, undefined, String(json.error));
    const names = [...(await objects()).keys()];
    assert.ok(names.includes('as_csv/pickup_date=2021-01-01/part-00000.csv.gz'));
    assert.ok(names.includes('as_json/pickup_date=2021-01-03/part-00000.jsonl'));
    const dir = await download('');
    const [fromCsv] = await harness.query(
      `SELECT count(*)::INTEGER AS n, count(DISTINCT pickup_date)::INTEGER AS days FROM read_csv('${dir}/as_csv/*/*.csv.gz', hive_partitioning = true)`,
      [],
    );
    const [fromJson] = await harness.query(
      `SELECT count(*)::INTEGER AS n, sum(id)::BIGINT AS ids FROM read_json_auto('${dir}/as_json/*/*.jsonl', hive_partitioning = true)`,
      [],
    );
    assert.deepEqual(fromCsv, { n: 20000, days: 3 });
    assert.deepEqual(fromJson, { n: 20000, ids: 199990000n });
    assert.ok(csv.logs.some((l) => /as_csv\/pickup_date=2021-01-02\/part-00000\.csv\.gz \(\d+ bytes, 6667 rows/.test(l.message)));
    assert.ok(json.logs.some((l) => /as_json\/pickup_date=2021-01-03\/part-00000\.jsonl \(\d+ bytes, 6666 rows/.test(l.message)));
    const snappyCsv = await exportTrips({ path: 'x.csv', format: 'csv', compression: 'snappy' });
    assert.ok(snappyCsv.error instanceof UserError);
    assert.match(snappyCsv.error.message, /snappy compression is for parquet/);
  });

  test('refuses a bucket name Google would reject before sending any request, naming the rule', async () => {
    const before = [...gcs.emulator.requests.values()].reduce((a, b) => a + b, 0);
    const { error } = await harness.attempt(gcsExport, {
      id: 'to_gcs',
      upstream: ['trips'],
      config: { endpoint: gcs.emulator.url, bucket: 'My_Exports', path: 'x.parquet' },
    });
    assert.ok(error instanceof UserError);
    assert.match(error.message, /bucket "My_Exports" would be refused by Google: bucket names use only lowercase letters/);
    assert.equal(error.place.path, 'config.bucket');
    assert.equal(
      [...gcs.emulator.requests.values()].reduce((a, b) => a + b, 0),
      before,
    );
  });

  test('a missing bucket fails before any Parquet is written, suggesting create_bucket', async () => {
    const { error, logs } = await exportTrips({ path: 'x.parquet', create_bucket: false });
    assert.ok(error instanceof UserError);
    assert.equal(error.message, `bucket ${bucketName} does not exist (create it, or set create_bucket: true)`);
    assert.deepEqual(logs, []);
  });

  test('completes through a 503 on a resumable chunk, a 429 burst and a dropped connection, nothing missing or doubled', async () => {
    const reference = await exportTrips({
      path: 'calm',
      partition_by: ['pickup_date'],
      upload: { resumable_above_mb: 0.1, chunk_size_mb: 0.25 },
    });
    assert.equal(reference.error, undefined);
    gcs.emulator.faults.clear();
    gcs.emulator.faults.add({ operation: 'objects.uploadChunk', times: 1, action: { status: 503 } });
    gcs.emulator.faults.add({ operation: 'objects.insert', times: 3, action: { status: 429 } });
    gcs.emulator.faults.add({ operation: 'objects.uploadChunk', times: 1, action: { reset: true, afterBodyBytes: 100_000 } });
    const run = await exportTrips({
      path: 'stormy',
      partition_by: ['pickup_date'],
      upload: { resumable_above_mb: 0.1, chunk_size_mb: 0.25 },
    });
    assert.equal(run.error, undefined, String(run.error));
    assert.equal(gcs.emulator.faults.firedCount(), 5, 'every fault fired');
    const all = await objects();
    const calm = [...all].filter(([n]) => n.startsWith('calm/')).map(([n, size]) => [n.replace('calm/', ''), size]);
    const stormy = [...all].filter(([n]) => n.startsWith('stormy/')).map(([n, size]) => [n.replace('stormy/', ''), size]);
    assert.deepEqual(stormy, calm);
    assert.ok(![...all.keys()].some((n) => n.startsWith(STAGING_ROOT)));
  });

  test('staged uploads are removed through a 503: their deletes carry a generation, so the client retries them', async () => {
    gcs.emulator.faults.clear();
    gcs.emulator.faults.add({ operation: 'objects.delete', times: 1, action: { status: 503 } });
    const run = await exportTrips({ path: 'cleanup', partition_by: ['pickup_date'] });
    assert.equal(run.error, undefined, String(run.error));
    assert.equal(gcs.emulator.faults.firedCount('objects.delete'), 1);
    assert.ok(![...(await objects()).keys()].some((n) => n.startsWith(STAGING_ROOT)), 'no staged object left');
  });

  test('a lost reply after an upload or a copy landed is retried, answered 412, and accepted by checksum', async () => {
    gcs.emulator.faults.clear();
    // Two inserts: the staging lease's (written first) and a staged upload's.
    gcs.emulator.faults.add({ operation: 'objects.insert', times: 2, action: { resetAfterCommit: true } });
    gcs.emulator.faults.add({ operation: 'objects.rewrite', times: 1, action: { resetAfterCommit: true } });
    const run = await exportTrips({ path: 'lost_replies', partition_by: ['pickup_date'] });
    assert.equal(run.error, undefined, String(run.error));
    assert.equal(gcs.emulator.faults.firedCount(), 3);
    const names = [...(await objects()).keys()];
    assert.equal(names.length, 3);
    assert.ok(names.every((n) => n.startsWith('lost_replies/pickup_date=')));
  });

  test('cancelling during uploads stops the export with nothing published and no staged leftovers', async () => {
    gcs.emulator.faults.clear();
    gcs.emulator.faults.add({ operation: 'objects.insert', times: 100, action: { delayMs: 400 } });
    const controller = new AbortController();
    // Cancelled once the first of the three objects is staged, while the next upload is under way.
    const onEvent = (event: RunEvent) =>
      event.type === 'block.progressed' && event.phase === 'upload' && event.done < (event.total ?? 0) && controller.abort();
    const run = await harness.attempt(
      gcsExport,
      {
        id: 'to_gcs',
        upstream: ['trips'],
        config: {
          endpoint: gcs.emulator.url,
          bucket: bucketName,
          create_bucket: true,
          path: 'cancelled',
          partition_by: ['pickup_date'],
          upload: { parallelism: 1 },
        },
      },
      { signal: controller.signal, onEvent },
    );
    assert.ok(controller.signal.aborted, 'cancelled mid-upload');
    gcs.emulator.faults.clear();
    assert.ok(run.error instanceof CancelledError, String(run.error));
    assert.deepEqual([...(await objects()).keys()], []);
  });

  test('a failure that outlasts the retries fails clearly and leaves the published objects as they were', async () => {
    await exportTrips({ path: 'stable', partition_by: ['pickup_date'] });
    const before = await objects();
    await harness.run(querySource, { id: 'two_days', config: { sql: `${TRIPS} WHERE range % 3 < 2` } });
    gcs.emulator.faults.clear();
    gcs.emulator.faults.add({ operation: 'objects.insert', times: 100, action: { status: 503 } });
    const run = await exportTrips({ path: 'stable', partition_by: ['pickup_date'], retry: { max_retries: 1, max_delay_seconds: 1 } }, [
      'two_days',
    ]);
    gcs.emulator.faults.clear();
    assert.ok(run.error instanceof OperationalError, String(run.error));
    assert.match(run.error.message, /GCS request failed \(503\) after the client's retries/);
    assert.deepEqual(await objects(), before, 'no object added, replaced or removed; staged uploads cleaned up');
  });
});
