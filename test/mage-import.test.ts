import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { createDefaultRegistry } from '../main/blocks/index.ts';
import { importMage } from '../main/mage/import-mage.ts';
import { rewriteSql } from '../main/mage/convert-sql.ts';
import { openProject } from '../main/runtime/open-project.ts';
import type { RunEvent } from '../main/model/run-events.ts';
import { EXPORT_GCS_PARTITIONED, EXPORT_LOCAL_PARTITIONED, mageFixture, writeMageProject } from './helpers/mage-fixture.ts';
import { planParquetDataset } from '../main/mage/convert-parquet-dataset.ts';
import { PASSWORD_ENV, startTestPostgres, type TestPostgres } from './helpers/postgres.ts';
import { PYTHON } from './helpers/python-blocks.ts';
import { runCli } from './helpers/run-cli.ts';
import { startGcsFixture, type GcsFixture } from './helpers/gcs.ts';
import { startBigQueryFixture, type BigQueryFixture } from './helpers/bigquery.ts';

const CSV = [
  'VendorID,lpep_pickup_datetime,passenger_count,trip_distance',
  '1,2021-01-01 00:15:56,1,1.5',
  '2,2021-01-01 00:25:59,0,2.0',
  '2,2021-01-01 00:45:57,2,',
  '1,2021-01-02 10:01:00,3,4.25',
].join('\n');

let tmp: string;
let server: Server;
let url: string;

before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'pw-mage-'));
  server = createServer((req, res) => {
    if (req.url === '/green.csv.gz') return void res.writeHead(200, { 'content-type': 'application/gzip' }).end(gzipSync(CSV));
    if (req.url !== '/green.csv') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/csv' }).end(CSV);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/green.csv`;
});

after(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(tmp, { recursive: true, force: true });
});

function freshMage(name: string): string {
  const dir = path.join(tmp, name);
  writeMageProject(dir, mageFixture(url));
  return dir;
}

const read = (dir: string, rel: string) => readFileSync(path.join(dir, rel), 'utf8');
const pipelineOf = (dir: string, id: string) =>
  parse(read(dir, `pipelines/${id}/pipeline.yaml`)) as { blocks: Record<string, unknown>[]; [k: string]: unknown };
const blockOf = (dir: string, p: string, id: string) => pipelineOf(dir, p).blocks.find((b) => b.id === id);

/** Runs pipeline `id` of an imported project with the default block kinds; fails the test unless it succeeds. */
async function runImported(into: string, id: string, overrides?: Record<string, Record<string, string>>): Promise<RunEvent[]> {
  const open = await openProject(into, { kinds: createDefaultRegistry() });
  const events: RunEvent[] = [];
  try {
    const pipeline = await open.loadPipeline(id);
    const result = await open.run(
      { pipeline, scope: { kind: 'pipeline' }, trigger: { kind: 'test' }, ...(overrides ? { connectionOverrides: overrides } : {}) },
      (e) => events.push(e),
    );
    assert.equal(result.status, 'succeeded', JSON.stringify(events.filter((e) => e.type === 'block.failed')));
  } finally {
    await open.close();
  }
  return events;
}

describe('pipewright import mage', () => {
  it('converts pipelines, blocks, io_config profiles and triggers, and reports each', async () => {
    const mage = freshMage('course');
    const into = path.join(tmp, 'course-pw');
    const { log } = await importMage(mage, { into, python: PYTHON });
    const green = pipelineOf(into, 'green_taxi_etl');
    assert.deepEqual(green.variables, { source_url: url });
    assert.deepEqual(green.retry, { retries: 1 });
    assert.deepEqual(blockOf(into, 'green_taxi_etl', 'load_api_data'), {
      id: 'load_api_data',
      type: 'source',
      kind: 'python',
      file: 'blocks/load_api_data.py',
      upstream: [],
      config: { function: 'load_data_from_api' },
      retry: { retries: 3, delay: 2 },
    });
    assert.equal(blockOf(into, 'green_taxi_etl', 'transform_taxi')?.timeout, 600);
    assert.deepEqual(blockOf(into, 'green_taxi_etl', 'taxi_to_postgres'), {
      id: 'taxi_to_postgres',
      type: 'export',
      kind: 'postgres',
      upstream: ['transform_taxi'],
      config: { connection: 'dev_postgres', schema: 'mage', table: 'green_taxi', mode: 'replace' },
      condition: { python: 'blocks/conditionals/has_trips.py', function: 'evaluate_condition' },
    });
    assert.equal(
      read(into, 'blocks/count_by_vendor.sql'),
      'SELECT vendor_id, count(*) AS trips\nFROM transform_taxi\nGROUP BY vendor_id\n',
    );
    assert.deepEqual(blockOf(into, 'green_taxi_etl', 'count_by_vendor_to_postgres')?.config, {
      connection: 'dev_postgres',
      schema: 'mage',
      table: 'vendor_counts',
      mode: 'replace',
    });
    assert.deepEqual(blockOf(into, 'handoff_demo', 'trips_from_pg'), {
      id: 'trips_from_pg',
      type: 'source',
      kind: 'postgres',
      config: { connection: 'dev_postgres', query: 'SELECT zone_id, zone FROM mage.zones' },
    });
    assert.equal(
      read(into, 'blocks/mage/taxi_to_postgres.py'),
      read(mage, 'data_exporters/taxi_to_postgres.py'),
      'the original exporter is kept for reference',
    );
    assert.deepEqual(blockOf(into, 'handoff_demo', 'taxi_to_gcs_partitioned'), {
      id: 'taxi_to_gcs_partitioned',
      type: 'export',
      kind: 'gcs',
      upstream: ['taxi_to_gcs_partitioned_dates'],
      config: {
        bucket: 'mage-zoomcamp',
        path: 'green_taxi_data/',
        partition_by: ['lpep_pickup_date'],
        format: 'parquet',
        connection: 'dev_gcs',
      },
    });
    assert.match(
      read(into, 'blocks/taxi_to_gcs_partitioned_dates.sql'),
      /SELECT \*, CAST\("lpep_pickup_datetime" AS DATE\) AS "lpep_pickup_date"\nFROM load_api_data/,
    );
    assert.deepEqual(blockOf(into, 'handoff_demo', 'trips_by_vendor')?.config, {
      path: 'output/trips_by_vendor',
      partition_by: ['VendorID'],
      format: 'parquet',
    });
    assert.equal(read(into, 'blocks/mage/taxi_to_gcs_partitioned.py'), read(mage, 'data_exporters/taxi_to_gcs_partitioned.py'));
    assert.deepEqual(
      (green.triggers as Record<string, unknown>[]).map((t) => [t.name, t.type, t.cron, t.enabled]),
      [
        ['daily_load', 'schedule', '0 0 * * *', true],
        ['every_15_minutes', 'schedule', '*/15 * * * *', false],
        ['from_ci', 'api', undefined, true],
      ],
    );
    const layout = JSON.parse(read(into, 'pipelines/green_taxi_etl/layout.json')) as { nodes: Record<string, { x: number }> };
    assert.ok(layout.nodes.transform_taxi && layout.nodes.load_api_data && layout.nodes.transform_taxi.x > layout.nodes.load_api_data.x);
    // Dynamic blocks keep dynamic/reduce; the Python list shape is flagged.
    assert.equal(blockOf(into, 'dynamic_demo', 'months')?.dynamic, true);
    assert.equal(blockOf(into, 'dynamic_demo', 'load_month')?.reduce, true);
    // Connections: secrets as env references only, never the plain-text password.
    const connections = read(into, 'connections.yaml');
    assert.doesNotMatch(connections, /hunter2/);
    const conns = parse(connections) as Record<string, Record<string, unknown>>;
    assert.deepEqual(conns.dev_postgres?.password, { env: 'POSTGRES_PASSWORD' });
    assert.deepEqual(conns.dev_postgres?.host, { env: 'POSTGRES_HOST' });
    assert.deepEqual(conns.default_postgres?.password, { env: 'DEFAULT_POSTGRES_PASSWORD' });
    const report = read(into, 'IMPORT_REPORT.md');
    assert.match(report, /`DEFAULT_POSTGRES_PASSWORD`: POSTGRES_PASSWORD of profile default \(plain text/);
    const entry = (subject: string) => log.entries.find((e) => e.subject === subject && e.pipeline !== 'broken_copy');
    assert.match(
      entry('taxi_to_gcs_partitioned')?.reason ?? '',
      /^export\/gcs gs:\/\/mage-zoomcamp\/green_taxi_data\/ \(connection dev_gcs\), Parquet partitioned by lpep_pickup_date .*original kept at blocks\/mage\/taxi_to_gcs_partitioned.py$/,
    );
    assert.equal(entry('load_api_data')?.outcome, 'python');
    assert.equal(entry('taxi_to_postgres')?.outcome, 'native');
    assert.match(entry('count_by_vendor')?.reason ?? '', /DuckDB .*in Mage it ran in postgres/);
    assert.equal(entry('has_trips')?.outcome, 'python');
    assert.deepEqual(blockOf(into, 'green_taxi_etl', 'taxi_to_postgres')?.condition, {
      python: 'blocks/conditionals/has_trips.py',
      function: 'evaluate_condition',
    });
    assert.equal(read(into, 'blocks/conditionals/has_trips.py'), read(mage, 'conditionals/has_trips.py'));
    assert.equal(entry('months')?.outcome, 'python');
    assert.match(entry('months')?.reason ?? '', /dynamic: its \[items, metadata\] fan out the blocks it feeds/);
    assert.match(entry('trigger just once')?.reason ?? '', /@once not imported/);
    assert.match(report, /\| has_trips \| kept as Python \|.*\| pipelines\/green_taxi_etl\/metadata.yaml:\d+ \|/);
  });

  it('imports a broken project as far as possible and names each problem in the report', async () => {
    const mage = freshMage('broken');
    const into = path.join(tmp, 'broken-pw');
    const { log } = await importMage(mage, { into, python: PYTHON });
    const reason = (subject: string) =>
      log.entries
        .filter((e) => e.subject === subject)
        .map((e) => `${e.outcome}: ${e.reason} @${e.file}:${e.line ?? ''}`)
        .join('\n');
    assert.match(
      reason('gone'),
      /attention: block file data_loaders\/gone.py not found: not imported @pipelines\/broken\/metadata.yaml:\d+/,
    );
    assert.match(reason('bad_syntax'), /attention: kept as Python; SyntaxError: .* @transformers\/bad_syntax.py:6/);
    assert.match(reason('bad_syntax'), /upstream gone not imported/);
    assert.match(reason('mystery'), /attention: unknown block type 'teleporter'/);
    assert.match(
      reason('step-a'),
      /attention: its id step_a is taken by another block: not imported @pipelines\/broken\/metadata.yaml:\d+/,
    );
    assert.match(log.entries.map((e) => e.reason).join('\n'), /cycle step_\w ← step_\w ← step_\w: edge step_\w → step_\w dropped/);
    assert.match(reason('broken'), /pipelines broken, broken_copy share the name 'broken'/);
    // What was written loads and plans: the cycle is broken and missing blocks are gone.
    const open = await openProject(into, { kinds: createDefaultRegistry() });
    try {
      const pipeline = await open.loadPipeline('broken');
      assert.deepEqual(pipeline.blocks.map((b) => b.id).sort(), ['bad_syntax', 'step_a', 'step_b']);
      await open.loadPipeline('broken_copy');
    } finally {
      await open.close();
    }
  });

  it('refuses to import into the same folder again unless --force, and writes nothing outside it', async () => {
    const mage = freshMage('again');
    const into = path.join(tmp, 'again-pw');
    const before = readdirSync(tmp).sort();
    await importMage(mage, { into, python: PYTHON });
    assert.deepEqual(readdirSync(tmp).sort(), [...before, 'again-pw'].sort());
    writeFileSync(path.join(into, 'blocks', 'transform_taxi.py'), '# edited\n');
    await assert.rejects(importMage(mage, { into }), /holds an earlier import: add --force/);
    assert.equal(read(into, 'blocks/transform_taxi.py'), '# edited\n');
    // The Mage project lost a pipeline since: --force removes what the first import wrote for it, and nothing else.
    rmSync(path.join(mage, 'pipelines', 'dynamic_demo'), { recursive: true });
    writeFileSync(path.join(into, 'NOTES.md'), 'mine\n');
    writeFileSync(path.join(tmp, 'outside.txt'), 'keep\n');
    const manifest = JSON.parse(read(into, '.mage-import.json')) as { files: string[] };
    assert.ok(manifest.files.includes('pipelines/dynamic_demo/pipeline.yaml') && manifest.files.includes('blocks/load_month.py'));
    writeFileSync(
      path.join(into, '.mage-import.json'),
      JSON.stringify({ files: [...manifest.files, '../outside.txt', path.join(tmp, 'outside.txt')] }),
    );
    await importMage(mage, { into, force: true, python: PYTHON });
    assert.equal(read(into, 'blocks/transform_taxi.py'), read(mage, 'transformers/transform_taxi.py'));
    assert.equal(existsSync(path.join(into, 'pipelines', 'dynamic_demo')), false, 'the pipeline folder it no longer writes is gone');
    assert.equal(existsSync(path.join(into, 'blocks', 'load_month.py')), false);
    assert.equal(read(into, 'NOTES.md'), 'mine\n', 'a file the import never wrote is kept');
    assert.equal(read(tmp, 'outside.txt'), 'keep\n', 'nothing outside --into is removed, whatever the list says');
    rmSync(path.join(tmp, 'outside.txt'));
    await assert.rejects(
      importMage(path.join(tmp, 'nowhere'), { into: path.join(tmp, 'x') }),
      /not a Mage project: it has no pipelines\/ folder/,
    );
    assert.equal(existsSync(path.join(tmp, 'x')), false);
  });

  it('pipewright import mage prints what needs attention and the variables to set; a second import exits 2', async () => {
    const mage = freshMage('cli');
    const into = path.join(tmp, 'cli-pw');
    const first = await runCli(['import', 'mage', mage, '--into', into, '--python', PYTHON]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^imported 6 pipeline\(s\) into .*cli-pw: \d+ converted natively, \d+ kept as Python, \d+ need attention$/m);
    assert.match(
      first.stdout,
      /^ {2}broken\/gone: block file data_loaders\/gone.py not found: not imported \(pipelines\/broken\/metadata.yaml:\d+\)$/m,
    );
    assert.match(first.stdout, /^set: DEFAULT_POSTGRES_PASSWORD, POSTGRES_HOST, /m);
    const again = await runCli(['import', 'mage', mage, '--into', into]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /holds an earlier import: add --force to write over it/);
  });

  it("rewrites a SQL block's Jinja to upstream ids and variables, and names what it cannot rewrite", () => {
    const sql = [
      'SELECT * FROM {{ df_1 }} JOIN {{ block_output("zones-lookup") }} USING (zone_id)',
      'JOIN {{ trips }} USING (id) WHERE day = \'{{ var("day") }}\' AND key = \'{{ env_var("API_KEY") }}\'',
      '{% if x %} AND {{ df_4 }} {{ macro() }}',
    ].join('\n');
    const { sql: rewritten, problems } = rewriteSql(sql, ['load-trips', 'zones-lookup', 'trips']);
    assert.equal(
      rewritten.split('\n').slice(0, 2).join('\n'),
      [
        'SELECT * FROM load_trips JOIN zones_lookup USING (zone_id)',
        "JOIN trips USING (id) WHERE day = '{{ day }}' AND key = '{{ env.API_KEY }}'",
      ].join('\n'),
    );
    assert.deepEqual(
      problems.map((p) => [p.line, p.what]),
      [
        [3, '{{ df_4 }}: the block has 3 upstream blocks'],
        [3, '{{ macro() }} has no Pipewright equivalent'],
        [3, 'Jinja statements ({% … %}) are not supported in Pipewright SQL'],
      ],
    );
  });

  it('converts write_to_dataset only in the template shape; an exporter that does more stays Python', () => {
    const gcs = planParquetDataset(EXPORT_GCS_PARTITIONED);
    assert.deepEqual(gcs && { ...gcs, line: 0 }, {
      target: 'gcs',
      bucket: 'mage-zoomcamp',
      path: 'green_taxi_data/',
      partitionBy: ['lpep_pickup_date'],
      derived: [{ column: 'lpep_pickup_date', from: 'lpep_pickup_datetime' }],
      line: 0,
    });
    assert.equal(gcs?.line, EXPORT_GCS_PARTITIONED.split('\n').findIndex((l) => l.includes('write_to_dataset')) + 1);
    const filtered = EXPORT_GCS_PARTITIONED.replace(
      '    table = pa.Table',
      "    data = data[data['passenger_count'] > 0]\n    table = pa.Table",
    );
    assert.equal(planParquetDataset(filtered), undefined, 'a filter before the write keeps the block Python');
    const otherOption = EXPORT_GCS_PARTITIONED.replace('filesystem=gcs', "filesystem=gcs, existing_data_behavior='delete_matching'");
    assert.equal(planParquetDataset(otherOption), undefined, 'an option we do not map keeps the block Python');
    const s3 = EXPORT_GCS_PARTITIONED.replace('pa.fs.GcsFileSystem()', 'pa.fs.S3FileSystem()');
    assert.equal(planParquetDataset(s3), undefined, 'another filesystem keeps the block Python');
    assert.deepEqual(planParquetDataset(EXPORT_LOCAL_PARTITIONED)?.path, 'output/trips_by_vendor');
    const credentialsInside = EXPORT_GCS_PARTITIONED.replace(
      '    table = pa.Table',
      "    os.environ['GOOGLE_APPLICATION_CREDENTIALS'] = '/home/src/keys/my-creds.json'\n    table = pa.Table",
    );
    assert.equal(
      planParquetDataset(credentialsInside)?.bucket,
      'mage-zoomcamp',
      'setting the credentials file inside the function is still the template',
    );
  });

  describe('an imported project runs', () => {
    let pg: TestPostgres;
    let gcs: GcsFixture;
    let bq: BigQueryFixture;
    before(async () => {
      gcs = await startGcsFixture();
      bq = await startBigQueryFixture();
      pg = await startTestPostgres();
      // The dev profile of io_config.yaml reads these (as the course's docker-compose sets them).
      Object.assign(process.env, {
        POSTGRES_HOST: pg.conn.host,
        POSTGRES_PORT: String(pg.conn.port),
        POSTGRES_DBNAME: 'test',
        POSTGRES_USER: pg.conn.user,
        POSTGRES_PASSWORD: process.env[PASSWORD_ENV],
        POSTGRES_SCHEMA: 'public',
      });
    });
    after(async () => {
      await gcs.close();
      await bq.close();
      await pg.stop();
    });

    it('runs the course pipeline offline: API → transform → Postgres loads the expected rows', async () => {
      const mage = freshMage('run');
      const into = path.join(tmp, 'run-pw');
      await importMage(mage, { into, python: PYTHON });
      const events = await runImported(into, 'green_taxi_etl');
      const rows = await pg.query(
        'SELECT vendor_id, passenger_count, trip_distance, lpep_pickup_datetime::text AS t FROM mage.green_taxi ORDER BY lpep_pickup_datetime',
      );
      assert.deepEqual(
        rows.map((r) => [Number(r.vendor_id), Number(r.passenger_count), r.trip_distance, r.t]),
        [
          [1, 1, 1.5, '2021-01-01 00:15:56'],
          [2, 2, null, '2021-01-01 00:45:57'],
          [1, 3, 4.25, '2021-01-02 10:01:00'],
        ],
      );
      const counts = await pg.query('SELECT vendor_id, trips FROM mage.vendor_counts ORDER BY vendor_id');
      assert.deepEqual(
        counts.map((r) => [Number(r.vendor_id), Number(r.trips)]),
        [
          [1, 2],
          [2, 1],
        ],
      );
      assert.equal(
        read(into, 'output/vendors.csv').trim().split('\n')[0],
        'vendor_id,trips',
        'FileIO and get_repo_path() work in a Mage block',
      );
      const logs = events.flatMap((e) => (e.type === 'log.written' && e.blockId === 'transform_taxi' ? [e.message] : []));
      assert.ok(logs.includes('rows with zero passengers: 1'), logs.join('\n'));
    });

    it("turns the course's read_csv API loader into a native http_file block that feeds the Python transform", async () => {
      const mage = freshMage('native-api');
      const into = path.join(tmp, 'native-api-pw');
      await importMage(mage, { into, python: PYTHON });
      assert.deepEqual(blockOf(into, 'api_native', 'load_green_gz'), {
        id: 'load_green_gz',
        type: 'source',
        kind: 'http_file',
        config: {
          url: `${url}.gz`,
          format: 'csv',
          columns: { VendorID: 'BIGINT', passenger_count: 'BIGINT', trip_distance: 'DOUBLE', lpep_pickup_datetime: 'TIMESTAMP' },
        },
      });
      const events = await runImported(into, 'api_native');
      const rowsOut = (id: string) => events.flatMap((e) => (e.type === 'block.succeeded' && e.blockId === id ? [e.rowsOut] : []));
      assert.deepEqual([rowsOut('load_green_gz'), rowsOut('transform_taxi')], [[4], [3]]);
    });

    it('runs a Postgres loader template natively and hands Postgres, GoogleCloudStorage and BigQuery exports to our exporters', async () => {
      const mage = freshMage('handoff');
      const into = path.join(tmp, 'handoff-pw');
      const { log } = await importMage(mage, { into, python: PYTHON });
      assert.equal(log.entries.find((e) => e.subject === 'export_busy_trips')?.outcome, 'python');
      assert.equal(blockOf(into, 'handoff_demo', 'notify')?.type, 'export', 'a custom block nothing reads may return nothing');
      await pg.query(
        "CREATE SCHEMA IF NOT EXISTS mage; CREATE TABLE mage.zones AS SELECT * FROM (VALUES (1, 'Harlem'), (2, 'SoHo'), (3, 'Astoria')) z(zone_id, zone)",
      );
      // The imported dev_gcs connection points at the local emulator by changing only its connection, as --conn does.
      await gcs.storage.createBucket('mage-zoomcamp');
      const events = await runImported(into, 'handoff_demo', {
        dev_gcs: { endpoint: gcs.emulator.url, credentials: 'none', project_id: 'test-project' },
        dev_bigquery: { endpoint: bq.endpoint, credentials: 'none', project_id: 'test-project' },
      });
      const [bqRows] = await bq.bigquery.dataset('ny_taxi').table('green_taxi').getRows();
      assert.deepEqual(
        bqRows.map((r: Record<string, unknown>) => Number(r.passenger_count)).sort(),
        [0, 1, 2, 3],
        'BigQuery.export loaded every row',
      );
      const [object] = await gcs.storage.bucket('mage-zoomcamp').file('green_taxi.csv').download();
      assert.deepEqual(
        object
          .toString('utf8')
          .trim()
          .split('\n')
          .map((line) => line.split(',')[0]),
        ['VendorID', '1', '2', '2', '1'],
        'GoogleCloudStorage.export uploaded every row as CSV',
      );
      const loaded = events.find((e) => e.type === 'block.succeeded' && e.blockId === 'trips_from_pg');
      assert.equal(
        loaded?.type === 'block.succeeded' && loaded.rowsOut,
        3,
        'the Postgres loader template ran as a native source/postgres block',
      );
      const rows = await pg.query('SELECT "VendorID" AS v, passenger_count AS n FROM mage.busy_trips ORDER BY passenger_count');
      assert.deepEqual(
        rows.map((r) => [Number(r.v), Number(r.n)]),
        [
          [2, 2],
          [1, 3],
        ],
      );
      assert.ok(events.some((e) => e.type === 'log.written' && e.blockId === 'notify' && e.message === 'loaded 4 trips'));
      // write_to_dataset templates ran as native partitioned Parquet exports: hive folders, the date derived in SQL.
      const [objects] = await gcs.storage.bucket('mage-zoomcamp').getFiles({ prefix: 'green_taxi_data/' });
      assert.deepEqual([...new Set(objects.map((o) => o.name.split('/').slice(0, 2).join('/')))].sort(), [
        'green_taxi_data/lpep_pickup_date=2021-01-01',
        'green_taxi_data/lpep_pickup_date=2021-01-02',
      ]);
      assert.deepEqual(readdirSync(path.join(into, 'output/trips_by_vendor')).sort(), ['VendorID=1', 'VendorID=2']);
      const logs = events.flatMap((e) => (e.type === 'log.written' && e.blockId === 'export_busy_trips' ? [e.message] : []));
      assert.ok(
        logs.some((m) =>
          /^Postgres.export: loading 2 rows \(table=busy_trips, mode=replace, schema=mage, connection dev_postgres\)$/.test(m),
        ),
        logs.join('\n'),
      );
    });
  });
});
