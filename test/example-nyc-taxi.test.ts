import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { runCli } from './helpers/run-cli.ts';
import { startFileServer } from './helpers/http-server.ts';
import { writeYellowTaxiCsv } from './helpers/taxi-csv.ts';

test('the nyc-taxi example runs yellow_taxi_etl end to end on a generated month', async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'pw-example-'));
  const server = await startFileServer();
  try {
    const csv = path.join(root, 'yellow.csv.gz');
    const stats = await writeYellowTaxiCsv(csv, { rows: 40_000, seed: 7, gzip: true });
    server.serve('/yellow_tripdata_2021-01.csv.gz', { file: csv });
    const project = path.join(root, 'nyc');
    const init = await runCli(['init', project, '--example', 'nyc-taxi']);
    assert.equal(init.code, 0, init.stderr);

    const args = ['run', 'yellow_taxi_etl', '--project', project, '--var', `source_url=${server.url}/yellow_tripdata_2021-01.csv.gz`, '--json'];
    const run = await runCli(args);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as { status: string; blocks: { id: string; rows: number }[] };
    const rows = Object.fromEntries(result.blocks.map((b) => [b.id, b.rows]));
    assert.equal(rows.load_yellow_taxi, stats.rows);
    assert.equal(rows.clean_yellow_taxi, stats.keptRows);
    const dropped = stats.zeroPassengerRows + stats.missingPassengerRows;
    assert.match(run.stderr, new RegExp(`\\(${dropped.toLocaleString('en-US')} dropped\\)`));
    assert.match(run.stderr, /1\/1 tests passed/);

    const out = path.join(project, 'output', 'yellow_taxi');
    const partitions = readdirSync(out).filter((d) => d.startsWith('tpep_pickup_date='));
    assert.equal(partitions.length, stats.keptPickupDates);

    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const perDate = await conn.runAndReadAll(`select tpep_pickup_date::varchar as d, count(*)::bigint as n from read_parquet('${out}/**/*.parquet', hive_partitioning = true) group by 1`);
    const got = Object.fromEntries(perDate.getRowObjects().map((r) => [String(r.d), Number(r.n)]));
    assert.deepEqual(got, stats.keptRowsByDate);
    const described = await conn.runAndReadAll(`describe select * from read_parquet('${out}/${partitions[0]}/*.parquet', hive_partitioning = false)`);
    const types = Object.fromEntries(described.getRowObjects().map((r) => [String(r.column_name), String(r.column_type)]));
    for (const name of ['vendor_id', 'ratecode_id', 'pu_location_id', 'do_location_id', 'passenger_count']) assert.equal(types[name], 'BIGINT', name);
    assert.equal(types.tpep_pickup_datetime, 'TIMESTAMP');
    assert.equal(types.fare_amount, 'DOUBLE');
    assert.equal(types.tpep_pickup_date, undefined, 'the partition column lives in the folder names, not in the files');
    conn.closeSync();
    db.closeSync();

    const again = await runCli(args);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /cached/i, 'the second run reuses the download');
    const history = JSON.parse((await runCli(['history', '--project', project, '--json'])).stdout) as { runs: { status: string }[] };
    assert.deepEqual(history.runs.map((r) => r.status), ['succeeded', 'succeeded']);
  } finally {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
});
