import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startBigQueryEmulator } from '../main/cloud/bigquery-emulator/server.ts';
import { createBigQueryClient } from '../main/cloud/bigquery-client.ts';
import { runCli } from './helpers/run-cli.ts';
import { startFileServer } from './helpers/http-server.ts';
import { writeYellowTaxiCsv } from './helpers/taxi-csv.ts';

// issue #15, part 7: yellow_taxi_warehouse runs from the CLI, offline, against the local emulators and embedded Postgres.

test('yellow_taxi_warehouse loads the trips into BigQuery and Postgres and runs its models there, offline', async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'pw-warehouse-'));
  const server = await startFileServer();
  try {
    const csv = path.join(root, 'yellow.csv.gz');
    const stats = await writeYellowTaxiCsv(csv, { rows: 20_000, seed: 11, gzip: true });
    server.serve('/yellow.csv.gz', { file: csv });
    const zones = path.join(root, 'zones.csv');
    const zoneLines = Array.from({ length: 265 }, (_, i) => `${i + 1},"Borough ${i % 6}","Zone ${i + 1}","Boro Zone"`);
    writeFileSync(zones, `"LocationID","Borough","Zone","service_zone"\n${zoneLines.join('\n')}\n`);
    server.serve('/zones.csv', { file: zones });
    const project = path.join(root, 'nyc');
    const init = await runCli(['init', project, '--example', 'nyc-taxi']);
    assert.equal(init.code, 0, init.stderr);

    const run = await runCli([
      'run',
      'yellow_taxi_warehouse',
      '--project',
      project,
      '--var',
      `source_url=${server.url}/yellow.csv.gz`,
      '--var',
      `zones_url=${server.url}/zones.csv`,
      '--json',
    ]);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as { status: string; blocks: { id: string; rows: number }[] };
    const rows = Object.fromEntries(result.blocks.map((b) => [b.id, b.rows]));
    assert.equal(rows.fact_trips, stats.keptRows, 'the fact table holds every kept trip');
    assert.equal(rows.pg_daily_revenue, stats.keptPickupDates, 'one Postgres row per pickup date');
    assert.match(run.stderr, /dry run: [\d.]+ [KMG]?B to process/);
    assert.match(run.stderr, /EXPLAIN: cost \d/);

    const bq = await startBigQueryEmulator({
      dataDir: path.join(project, '.pipewright', 'bigquery'),
      gcsDataDir: path.join(project, '.pipewright', 'gcs'),
    });
    try {
      const bigquery = await createBigQueryClient({ endpoint: bq.endpoint }, project, {});
      const [perDay] = await bigquery.query(
        'SELECT CAST(pickup_date AS STRING) AS d, sum(trips) AS n FROM ny_taxi.daily_zone_revenue GROUP BY 1',
      );
      assert.deepEqual(Object.fromEntries((perDay as { d: string; n: number }[]).map((r) => [r.d, Number(r.n)])), stats.keptRowsByDate);
    } finally {
      await bq.close();
    }
  } finally {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
});
