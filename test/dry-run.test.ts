import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { runCli } from './helpers/run-cli.ts';
import { startFileServer } from './helpers/http-server.ts';
import { writeYellowTaxiCsv } from './helpers/taxi-csv.ts';
import { loadProject } from '../main/project/load-project.ts';
import { resolveConnection } from '../main/connections/resolve-connection.ts';
import { LocalPostgres } from '../main/postgres/local-server.ts';
import type { DryRunReport } from '../main/dry-run/plan-exports.ts';
import type { ExportPlan } from '../main/model/design-types.ts';
import type { PostgresConnection } from '../main/model/connection-profile.ts';
import { planTableLoad } from '../main/postgres/table-plan.ts';
import { startGcsFixture } from './helpers/gcs.ts';
import { ensureRendererBuilt, startServe } from './helpers/browser.ts';
import { startBigQueryFixture } from './helpers/bigquery.ts';
import { createTempProject } from './helpers/temp-project.ts';
import { createTestRegistry } from './helpers/test-kinds.ts';
import { openProject } from '../main/runtime/open-project.ts';
import { planExports } from '../main/dry-run/plan-exports.ts';
import { exportColumn } from '../main/postgres/postgres-types.ts';

test("pipewright run --dry-run prints the course's Postgres DDL, the partitions with their rows, the GCS objects and the BigQuery job, and writes nothing", async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'pw-dry-run-'));
  const server = await startFileServer();
  try {
    const csv = path.join(root, 'yellow.csv.gz');
    const stats = await writeYellowTaxiCsv(csv, { rows: 20_000, seed: 11, gzip: true });
    server.serve('/yellow_tripdata_2021-01.csv.gz', { file: csv });
    const project = path.join(root, 'nyc');
    assert.equal((await runCli(['init', project, '--example', 'nyc-taxi'])).code, 0);
    const vars = ['--var', `source_url=${server.url}/yellow_tripdata_2021-01.csv.gz`];
    // The transforms only: their outputs are what the exports would write.
    const clean = await runCli([
      'run',
      'yellow_taxi_etl',
      '--project',
      project,
      ...vars,
      '--block',
      'clean_yellow_taxi',
      '--with-upstream',
    ]);
    assert.equal(clean.code, 0, clean.stderr);

    const dry = await runCli(['run', 'yellow_taxi_etl', '--project', project, ...vars, '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr + dry.stdout);
    const text = dry.stdout;
    // The course's table: ny_taxi.yellow_cab_data with its columns in snake_case, loaded by a staging table and a swap.
    assert.match(text, /export_yellow_taxi_postgres \(export\/postgres\)\n {2}destination: ny_taxi\.yellow_cab_data on local_pg/);
    assert.match(text, /CREATE SCHEMA IF NOT EXISTS "ny_taxi";/);
    assert.match(
      text,
      /CREATE TABLE "ny_taxi"\."_pw_stage_[0-9a-f]{12}_<random>" \("vendor_id" bigint, "tpep_pickup_datetime" timestamp, "tpep_dropoff_datetime" timestamp, "passenger_count" bigint, "trip_distance" double precision, .*"congestion_surcharge" double precision, "tpep_pickup_date" date\);/,
    );
    assert.match(text, /ALTER TABLE "ny_taxi"\."_pw_stage_[0-9a-f]{12}_<random>" RENAME TO "yellow_cab_data";/);
    assert.match(text, /target: does not exist\n {2}policy: the table is created/);
    assert.match(text, new RegExp(`rows: ${stats.keptRows.toLocaleString('en-US')}`));
    // One partition per pickup date: the month's days and the stray pickups outside it.
    assert.match(text, new RegExp(`export_yellow_taxi_parquet[^]*?partitions: ${stats.keptPickupDates}\\n`));
    assert.match(text, new RegExp(`export_yellow_taxi_gcs_partitioned[^]*?partitions: ${stats.keptPickupDates}\\n`));
    assert.match(text, /dry run: nothing was written/);

    const json = await runCli(['run', 'yellow_taxi_etl', '--project', project, ...vars, '--dry-run', '--json']);
    const report = JSON.parse(json.stdout) as DryRunReport;
    const plans = Object.fromEntries(report.exports.map((p) => [p.blockId, p as ExportPlan]));
    const gcs = plans.export_yellow_taxi_gcs_partitioned;
    assert.deepEqual(
      Object.fromEntries((gcs?.partitions ?? []).map((p) => [p.name.replace('tpep_pickup_date=', ''), p.rows])),
      stats.keptRowsByDate,
    );
    assert.equal(gcs?.objects?.write.length, stats.keptPickupDates);
    assert.ok(
      gcs?.objects?.write.includes('gs://pipewright-local-nyc-taxi/nyc_taxi_data/tpep_pickup_date=2021-01-15/part-00000.parquet'),
      gcs?.objects?.write.join('\n'),
    );
    assert.deepEqual(plans.export_yellow_taxi_gcs_single?.objects?.write, ['gs://pipewright-local-nyc-taxi/nyc_taxi_data.parquet']);
    const load = (plans.load_yellow_taxi_bigquery?.job as { load: Record<string, unknown> }).load;
    assert.deepEqual(load.destinationTable, { projectId: 'pipewright-local', datasetId: 'ny_taxi', tableId: 'yellow_cab_data' });
    assert.equal(load.writeDisposition, 'WRITE_TRUNCATE');
    assert.deepEqual(load.hivePartitioningOptions, {
      mode: 'CUSTOM',
      sourceUriPrefix: 'gs://pipewright-local-nyc-taxi/nyc_taxi_data/{tpep_pickup_date:DATE}',
    });
    assert.deepEqual(load.sourceUris, gcs?.objects?.write);
    assert.equal(plans.export_yellow_taxi_parquet?.partitions?.length, stats.keptPickupDates);

    // Nothing was written: no Parquet folder, no bucket, no table.
    assert.equal(existsSync(path.join(project, 'output', 'yellow_taxi')), false);
    assert.equal(existsSync(path.join(project, '.pipewright', 'gcs', 'pipewright-local-nyc-taxi')), false);

    // An existing target that differs: the plan lists what changes and what replace does about it.
    const loaded = await loadProject(project);
    const conn = (await resolveConnection(loaded, 'local_pg')) as PostgresConnection;
    const client = new pg.Client({ host: conn.host, port: conn.port, user: conn.user, password: conn.password, database: conn.database });
    await client.connect();
    try {
      await client.query(
        'CREATE SCHEMA ny_taxi; CREATE TABLE ny_taxi.yellow_cab_data (vendor_id bigint, passenger_count integer, legacy_flag text)',
      );
      const again = await runCli([
        'run',
        'yellow_taxi_etl',
        '--project',
        project,
        ...vars,
        '--dry-run',
        '--json',
        '--block',
        'export_yellow_taxi_postgres',
      ]);
      const [plan] = (JSON.parse(again.stdout) as DryRunReport).exports as ExportPlan[];
      assert.equal(plan?.schemaDiff?.targetExists, true);
      assert.deepEqual(plan?.schemaDiff?.missing, [{ name: 'legacy_flag', type: 'text' }]);
      assert.deepEqual(plan?.schemaDiff?.retyped, [{ name: 'passenger_count', from: 'integer', to: 'bigint' }]);
      assert.ok(plan?.schemaDiff?.added.some((c) => c.name === 'tpep_pickup_date' && c.type === 'date'));
      assert.match(
        plan?.schemaDiff?.policy ?? '',
        /^replace: the table is rebuilt with the output's columns \(added: .*removed: legacy_flag; retyped: passenger_count integer → bigint\)/,
      );
      assert.match(plan?.ddl.join('\n') ?? '', /DROP TABLE "ny_taxi"\."yellow_cab_data"\nALTER TABLE/);
      const still = await client.query(
        'SELECT count(*)::int AS n FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2',
        ['ny_taxi', 'yellow_cab_data'],
      );
      assert.equal(still.rows[0].n, 3, 'the dry run changed nothing');
    } finally {
      await client.end();
      await LocalPostgres.at(loaded.stateDir).stop();
    }
  } finally {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('the Postgres plan says what append and upsert do with a target that differs, by on_schema_change', () => {
  const columns = [
    { name: 'id', type: 'BIGINT' },
    { name: 'tip_rate', type: 'DOUBLE' },
  ].map(exportColumn);
  const existing = [
    { name: 'id', type: 'bigint' },
    { name: 'old', type: 'text' },
  ];
  const base = { schema: 's', table: 't', columns, key: ['id'], existing, hasSchema: true, copyConnections: 2 };
  const refused = planTableLoad({ ...base, mode: 'append', onSchemaChange: 'fail' });
  assert.equal(refused.refusal, "s.t differs from the block's output (added: tip_rate (double precision); removed: old)");
  assert.deepEqual(refused.ddl, []);
  const added = planTableLoad({ ...base, mode: 'upsert', onSchemaChange: 'add_columns' });
  assert.deepEqual(added.ddl, ['ALTER TABLE "s"."t" ADD COLUMN "tip_rate" double precision']);
  assert.equal(added.schemaDiff.policy, 'on_schema_change add_columns: adds tip_rate');
  const created = planTableLoad({ ...base, existing: undefined, hasSchema: false, mode: 'upsert', onSchemaChange: 'fail' });
  assert.deepEqual(created.ddl, [
    'CREATE SCHEMA IF NOT EXISTS "s"',
    'CREATE TABLE "s"."t" ("id" bigint, "tip_rate" double precision, PRIMARY KEY ("id"))',
  ]);
  assert.equal(planTableLoad({ ...base, mode: 'fail', onSchemaChange: 'fail' }).schemaDiff.policy, 'mode fail: refused, the table exists');
});

test('a GCS dry run lists the live objects a replace would remove, and leaves them there', async () => {
  const gcs = await startGcsFixture();
  const temp = createTempProject();
  try {
    const bucket = gcs.storage.bucket('plans');
    await bucket.create();
    await bucket.file('trips/day=2021-01-01/part-00000.parquet').save('old');
    await bucket.file('trips/day=2020-12-31/part-00000.parquet').save('stale');
    await bucket.file('elsewhere.txt').save('not under the prefix');
    temp.writeFile(
      'blocks/trips.sql',
      "select * from (values (1, date '2021-01-01'), (2, date '2021-01-01'), (3, date '2021-01-02')) t(id, day)\n",
    );
    temp.writePipeline('p', {
      blocks: [
        { id: 'trips', type: 'source', kind: 'sql', file: 'blocks/trips.sql' },
        {
          id: 'to_gcs',
          type: 'export',
          kind: 'gcs',
          upstream: ['trips'],
          config: {
            endpoint: gcs.emulator.url,
            credentials: 'none',
            project_id: 'test-project',
            bucket: 'plans',
            path: 'trips',
            partition_by: ['day'],
          },
        },
      ],
    });
    const open = await openProject(temp.dir, { kinds: createTestRegistry() });
    try {
      const before = await planExports(open, await open.loadPipeline('p'));
      const unrun = before.exports[0] as ExportPlan;
      assert.equal(unrun.rows, undefined);
      assert.match(unrun.notes.join('\n'), /trips has no stored output yet/);
      assert.equal(
        (await open.run({ pipeline: await open.loadPipeline('p'), scope: { kind: 'block', block: 'trips' }, trigger: { kind: 'test' } }))
          .status,
        'succeeded',
      );
      const [plan] = (await planExports(open, await open.loadPipeline('p'))).exports as ExportPlan[];
      assert.deepEqual(plan?.partitions, [
        { name: 'day=2021-01-01', rows: 2 },
        { name: 'day=2021-01-02', rows: 1 },
      ]);
      assert.deepEqual(plan?.objects, {
        write: ['gs://plans/trips/day=2021-01-01/part-00000.parquet', 'gs://plans/trips/day=2021-01-02/part-00000.parquet'],
        remove: ['gs://plans/trips/day=2020-12-31/part-00000.parquet'],
      });
      const [files] = await bucket.getFiles();
      assert.equal(files.length, 3, 'the dry run wrote and removed nothing');
    } finally {
      await open.close();
    }
  } finally {
    temp.cleanup();
    await gcs.close();
  }
});

test('a BigQuery dry run shows the load job it would start and, against an existing table, what append would refuse', async () => {
  const bq = await startBigQueryFixture();
  const temp = createTempProject();
  try {
    await bq.bigquery.createDataset('taxi');
    await bq.bigquery.dataset('taxi').createTable('trips', {
      schema: {
        fields: [
          { name: 'id', type: 'INTEGER' },
          { name: 'fare', type: 'STRING' },
          { name: 'legacy', type: 'STRING' },
        ],
      },
    });
    temp.writeFile('blocks/trips.sql', "select 1::BIGINT as id, 2.5::DOUBLE as fare, 'x' as zone\n");
    temp.writePipeline('p', {
      blocks: [
        { id: 'trips', type: 'source', kind: 'sql', file: 'blocks/trips.sql' },
        {
          id: 'to_bq',
          type: 'export',
          kind: 'bigquery',
          upstream: ['trips'],
          config: {
            endpoint: bq.endpoint,
            credentials: 'none',
            project_id: 'test-project',
            dataset: 'taxi',
            table: 'trips',
            write_disposition: 'append',
            clustering: ['zone'],
          },
        },
      ],
    });
    const open = await openProject(temp.dir, { kinds: createTestRegistry() });
    try {
      assert.equal(
        (await open.run({ pipeline: await open.loadPipeline('p'), scope: { kind: 'block', block: 'trips' }, trigger: { kind: 'test' } }))
          .status,
        'succeeded',
      );
      const [plan] = (await planExports(open, await open.loadPipeline('p'))).exports as ExportPlan[];
      const load = (plan?.job as { load: Record<string, unknown> }).load;
      assert.deepEqual(load.destinationTable, { projectId: 'test-project', datasetId: 'taxi', tableId: 'trips' });
      assert.equal(load.writeDisposition, 'WRITE_APPEND');
      assert.deepEqual(load.clustering, { fields: ['zone'] });
      assert.deepEqual(
        (load.schema as { fields: { name: string; type: string }[] }).fields.map((f) => `${f.name} ${f.type}`),
        ['id INTEGER', 'fare FLOAT', 'zone STRING'],
      );
      assert.deepEqual(plan?.schemaDiff?.added, [{ name: 'zone', type: 'STRING' }]);
      assert.deepEqual(plan?.schemaDiff?.missing, [{ name: 'legacy', type: 'STRING' }]);
      assert.deepEqual(plan?.schemaDiff?.retyped, [{ name: 'fare', from: 'STRING', to: 'FLOAT' }]);
      assert.match(plan?.schemaDiff?.policy ?? '', /^append: refused \(/);
      const [rows] = await bq.bigquery.dataset('taxi').table('trips').getRows();
      assert.equal(rows.length, 0, 'no job ran');
    } finally {
      await open.close();
    }
  } finally {
    temp.cleanup();
    await bq.close();
  }
});

test('run --dry-run goes through the app or serve holding the project, like a run', async () => {
  ensureRendererBuilt();
  const temp = createTempProject();
  temp.writeFile('blocks/days.sql', "select range as n, date '2021-01-01' + (range % 3)::INTEGER as day from range(7)\n");
  temp.writePipeline('p', {
    blocks: [
      { id: 'days', type: 'source', kind: 'sql', file: 'blocks/days.sql' },
      { id: 'to_files', type: 'export', kind: 'local_file', upstream: ['days'], config: { path: 'output/days', partition_by: ['day'] } },
    ],
  });
  const serve = await startServe(temp.dir);
  try {
    const ran = await runCli(['run', 'p', '--project', temp.dir, '--block', 'days']);
    assert.equal(ran.code, 0, ran.stderr);
    const dry = await runCli(['run', 'p', '--project', temp.dir, '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(
      dry.stdout,
      /to_files \(export\/local_file\)\n {2}destination: output\/days\n {2}mode: replace\n {2}rows: 7\n {2}partitions: 3\n {4}day=2021-01-01 {2}3 rows\n {4}day=2021-01-02 {2}2 rows\n {4}day=2021-01-03 {2}2 rows/,
    );
    assert.equal(existsSync(path.join(temp.dir, 'output')), false);
    const refused = await runCli(['run', 'p', '--project', temp.dir, '--dry-run', '--resume', 'r1']);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--dry-run plans the exports: it takes --block <export>, --var and --conn only/);
  } finally {
    await serve.stop();
    temp.cleanup();
  }
});
