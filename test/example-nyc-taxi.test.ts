import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Storage } from '@google-cloud/storage';
import { startGcsEmulator } from '../main/cloud/gcs-emulator/server.ts';
import { startBigQueryEmulator } from '../main/cloud/bigquery-emulator/server.ts';
import { createBigQueryClient } from '../main/cloud/bigquery-client.ts';
import { runCli } from './helpers/run-cli.ts';
import { startFileServer } from './helpers/http-server.ts';
import { writeYellowTaxiCsv } from './helpers/taxi-csv.ts';

test('the nyc-taxi example runs yellow_taxi_etl end to end on a generated month, offline against the local GCS and BigQuery emulators', async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'pw-example-'));
  const server = await startFileServer();
  try {
    const csv = path.join(root, 'yellow.csv.gz');
    const stats = await writeYellowTaxiCsv(csv, { rows: 40_000, seed: 7, gzip: true });
    server.serve('/yellow_tripdata_2021-01.csv.gz', { file: csv });
    const project = path.join(root, 'nyc');
    const init = await runCli(['init', project, '--example', 'nyc-taxi']);
    assert.equal(init.code, 0, init.stderr);

    const args = [
      'run',
      'yellow_taxi_etl',
      '--project',
      project,
      '--var',
      `source_url=${server.url}/yellow_tripdata_2021-01.csv.gz`,
      '--json',
    ];
    const run = await runCli(args);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as { status: string; blocks: { id: string; rows: number }[] };
    const rows = Object.fromEntries(result.blocks.map((b) => [b.id, b.rows]));
    assert.equal(rows.load_yellow_taxi, stats.rows);
    assert.equal(rows.clean_yellow_taxi, stats.keptRows);
    // The cleaning drops the trips without passengers: the log gives both counts.
    assert.equal(stats.rows - stats.keptRows, stats.zeroPassengerRows + stats.missingPassengerRows);
    assert.match(
      run.stderr,
      new RegExp(`clean_yellow_taxi ${stats.rows.toLocaleString('en-US')} rows in, ${stats.keptRows.toLocaleString('en-US')} rows out`),
    );
    assert.match(run.stderr, /1\/1 tests passed/);
    for (const check of [
      'not_null\\(passenger_count\\)',
      'range\\(0 < passenger_count\\)',
      'accepted_values\\(vendor_id in 1, 2\\)',
      'range\\(0 ≤ trip_distance\\)',
    ]) {
      assert.match(run.stderr, new RegExp(`✓ check ${check}`));
    }
    assert.match(run.stderr, /drift baseline: no baseline: this is the first successful run/);

    const out = path.join(project, 'output', 'yellow_taxi');
    const partitions = readdirSync(out).filter((d) => d.startsWith('tpep_pickup_date='));
    assert.equal(partitions.length, stats.keptPickupDates);

    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const perDate = await conn.runAndReadAll(
      `select tpep_pickup_date::varchar as d, count(*)::bigint as n from read_parquet('${out}/**/*.parquet', hive_partitioning = true) group by 1`,
    );
    const got = Object.fromEntries(perDate.getRowObjects().map((r) => [String(r.d), Number(r.n)]));
    assert.deepEqual(got, stats.keptRowsByDate);
    const described = await conn.runAndReadAll(
      `describe select * from read_parquet('${out}/${partitions[0]}/*.parquet', hive_partitioning = false)`,
    );
    const types = Object.fromEntries(described.getRowObjects().map((r) => [String(r.column_name), String(r.column_type)]));
    for (const name of ['vendor_id', 'ratecode_id', 'pu_location_id', 'do_location_id', 'passenger_count'])
      assert.equal(types[name], 'BIGINT', name);
    assert.equal(types.tpep_pickup_datetime, 'TIMESTAMP');
    assert.equal(types.fare_amount, 'DOUBLE');
    assert.equal(types.tpep_pickup_date, undefined, 'the partition column lives in the folder names, not in the files');

    // The GCS exports went to the project's own emulator (default_connections.gcs: local_gcs); it stopped with the
    // CLI, so a new one over the same folder serves what the run wrote.
    const gcs = await startGcsEmulator({ root: path.join(project, '.pipewright', 'gcs') });
    try {
      const bucket = new Storage({ apiEndpoint: gcs.url, projectId: 'pipewright-local' }).bucket('pipewright-local-nyc-taxi');
      const [objects] = await bucket.getFiles();
      const names = objects.map((o) => o.name);
      assert.ok(names.includes('nyc_taxi_data.parquet'), names.join(', '));
      const partitioned = names.filter((n) => n.startsWith('nyc_taxi_data/'));
      assert.equal(new Set(partitioned.map((n) => path.posix.dirname(n))).size, stats.keptPickupDates, 'one folder per pickup date');
      const downloads = path.join(root, 'downloads');
      for (const name of names) {
        const target = path.join(downloads, ...name.split('/'));
        mkdirSync(path.dirname(target), { recursive: true });
        await bucket.file(name).download({ destination: target });
      }
      const single = await conn.runAndReadAll(`select count(*)::bigint as n from read_parquet('${downloads}/nyc_taxi_data.parquet')`);
      assert.equal(Number(single.getRowObjects()[0]?.n), stats.keptRows);
      const fromGcs = await conn.runAndReadAll(
        `select tpep_pickup_date::varchar as d, count(*)::bigint as n from read_parquet('${downloads}/nyc_taxi_data/**/*.parquet', hive_partitioning = true) group by 1`,
      );
      assert.deepEqual(Object.fromEntries(fromGcs.getRowObjects().map((r) => [String(r.d), Number(r.n)])), stats.keptRowsByDate);
    } finally {
      await gcs.close();
    }

    // The BigQuery load went to the project's BigQuery emulator (default_connections.bigquery: local_bq).
    const bq = await startBigQueryEmulator({
      dataDir: path.join(project, '.pipewright', 'bigquery'),
      gcsDataDir: path.join(project, '.pipewright', 'gcs'),
    });
    try {
      const bigquery = await createBigQueryClient({ endpoint: bq.endpoint }, project, {});
      const [table] = await bigquery.dataset('ny_taxi').table('yellow_cab_data').getMetadata();
      const fields = Object.fromEntries((table.schema?.fields ?? []).map((f: { name?: string; type?: string }) => [f.name, f.type]));
      assert.equal(fields.tpep_pickup_datetime, 'TIMESTAMP', 'timestamps arrive as TIMESTAMP, not integers');
      assert.equal(fields.tpep_pickup_date, 'DATE', 'the partition folders come back as a DATE column');
      assert.equal(fields.vendor_id, 'INTEGER');
      const [perDay] = await bigquery.query(
        'SELECT CAST(tpep_pickup_date AS STRING) AS d, count(*) AS n FROM ny_taxi.yellow_cab_data GROUP BY 1',
      );
      assert.deepEqual(Object.fromEntries((perDay as { d: string; n: number }[]).map((r) => [r.d, Number(r.n)])), stats.keptRowsByDate);
    } finally {
      await bq.close();
    }
    conn.closeSync();
    db.closeSync();

    const again = await runCli(args);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /cached/i, 'the second run reuses the download');
    const history = JSON.parse((await runCli(['history', '--project', project, '--json'])).stdout) as { runs: { status: string }[] };
    assert.deepEqual(
      history.runs.map((r) => r.status),
      ['succeeded', 'succeeded'],
    );
  } finally {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
});
