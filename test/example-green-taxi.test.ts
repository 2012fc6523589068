import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { Storage } from '@google-cloud/storage';
import { startGcsEmulator } from '../main/cloud/gcs-emulator/server.ts';
import { openProject } from '../main/runtime/open-project.ts';
import { runCli } from './helpers/run-cli.ts';
import { startFileServer } from './helpers/http-server.ts';
import { writeGreenTaxiCsv, type GreenCsvStats } from './helpers/green-taxi-csv.ts';

const MONTHS = [10, 11, 12];

test('green_taxi_etl loads one child per month, reduces, filters, tests and exports the generated months', async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'pw-green-'));
  const server = await startFileServer();
  try {
    // 1. Three green-shaped months behind a local HTTP server standing in for the course's release.
    const stats: GreenCsvStats[] = [];
    for (const month of MONTHS) {
      const file = path.join(root, `green_tripdata_2020-${month}.csv.gz`);
      stats.push(await writeGreenTaxiCsv(file, { year: 2020, month, rows: 6_000 + month * 100 }));
      server.serve(`/green/green_tripdata_2020-${month}.csv.gz`, { file });
    }
    const totalRows = stats.reduce((sum, s) => sum + s.rows, 0);
    const keptRows = stats.reduce((sum, s) => sum + s.keptRows, 0);
    const keptByDate: Record<string, number> = {};
    for (const s of stats) for (const [date, n] of Object.entries(s.keptRowsByDate)) keptByDate[date] = (keptByDate[date] ?? 0) + n;

    // 2. The example project, run from the CLI with base_url pointing at the server.
    const project = path.join(root, 'nyc');
    const init = await runCli(['init', project, '--example', 'nyc-taxi']);
    assert.equal(init.code, 0, init.stderr);
    const run = await runCli(['run', 'green_taxi_etl', '--project', project, '--var', `base_url=${server.url}/green/`, '--json']);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as {
      runId: string;
      status: string;
      blocks: { id: string; rows: number | null; status: string }[];
    };
    const rows = Object.fromEntries(result.blocks.map((b) => [b.id, b.rows]));
    assert.equal(rows.green_taxi_months, 3);
    assert.equal(rows.load_green_taxi, totalRows);
    assert.equal(rows.transform_green_taxi, keptRows);
    assert.equal(rows.export_green_taxi_postgres, keptRows);
    assert.match(run.stderr, /3\/3 tests passed/);
    assert.match(run.stderr, /✓ check unique\(month\)/);
    assert.match(run.stderr, /✓ check range\(0 < trip_distance\)/);
    assert.match(run.stderr, /✓ check accepted_values\(vendor_id in 1, 2\)/);
    // The CLI folds a fan-out's children into one summary line (--verbose prints each child's).
    assert.match(run.stderr, /load_green_taxi: 3 children: 3 succeeded/);

    // 3. The run history holds one block row per month, each with its own attempts and rows.
    const open = await openProject(project);
    try {
      const detail = open.store.getRun(result.runId);
      const children = (detail?.blocks ?? []).filter((b) => b.blockId.startsWith('load_green_taxi['));
      assert.deepEqual(children.map((b) => b.blockId).sort(), ['load_green_taxi[0]', 'load_green_taxi[1]', 'load_green_taxi[2]']);
      assert.deepEqual(children.map((b) => b.rowsOut).sort(), stats.map((s) => s.rows).sort());
      const preview = await open.workspace.query(
        'select count(*) as n, count(distinct lpep_pickup_date) as dates, min(vendor_id) as lo, max(vendor_id) as hi from green_taxi_etl.transform_green_taxi',
        { offset: 0, limit: 1 },
      );
      const { tableFromIPC } = await import('apache-arrow');
      const summary = tableFromIPC(preview.ipc).get(0)?.toJSON();
      assert.deepEqual(
        [Number(summary?.n), Number(summary?.dates), Number(summary?.lo), Number(summary?.hi)],
        [keptRows, Object.keys(keptByDate).length, 1, 2],
      );
    } finally {
      await open.close();
    }

    // 4. GCS: one folder per pickup date, with the kept rows of that date.
    const gcs = await startGcsEmulator({ root: path.join(project, '.pipewright', 'gcs') });
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      const bucket = new Storage({ apiEndpoint: gcs.url, projectId: 'pipewright-local' }).bucket('pipewright-local-nyc-taxi');
      const [objects] = await bucket.getFiles({ prefix: 'green_taxi/' });
      const downloads = path.join(root, 'downloads');
      for (const object of objects) {
        const target = path.join(downloads, ...object.name.split('/'));
        mkdirSync(path.dirname(target), { recursive: true });
        await object.download({ destination: target });
      }
      const perDate = await conn.runAndReadAll(
        `select lpep_pickup_date::varchar as d, count(*)::bigint as n from read_parquet('${downloads}/green_taxi/**/*.parquet', hive_partitioning = true) group by 1`,
      );
      assert.deepEqual(Object.fromEntries(perDate.getRowObjects().map((r) => [String(r.d), Number(r.n)])), keptByDate);
    } finally {
      conn.closeSync();
      db.closeSync();
      await gcs.close();
    }
  } finally {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
});
