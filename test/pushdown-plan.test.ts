import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadProject } from '../main/project/load-project.ts';
import { loadPipeline } from '../main/project/load-pipeline.ts';
import { createDefaultRegistry } from '../main/blocks/index.ts';
import { UserError } from '../main/model/errors.ts';
import { dataUpstreamOf } from '../main/model/plan.ts';
import { compileBlockNames } from '../main/pushdown/compile-sql.ts';
import { createTempProject } from './helpers/temp-project.ts';

// Planning of SQL blocks that run in a warehouse (issue #15, part 1).

async function load(blocks: unknown[], pipeline: Record<string, unknown> = {}) {
  const project = createTempProject({ default_connections: { bigquery: 'bq', postgres: 'pg' } });
  try {
    for (const id of ['clean', 'daily', 'report']) project.writeFile(`blocks/${id}.sql`, 'select 1 as x\n');
    project.writePipeline('p', { ...pipeline, blocks });
    return await loadPipeline(await loadProject(project.dir), 'p', createDefaultRegistry());
  } finally {
    project.cleanup();
  }
}

const localSource = { id: 'raw', type: 'source', kind: 'local_file', config: { path: 'data/x.csv' } };

test('a pushed-down block reading a local block is refused at load, naming the edge and the transfer', async () => {
  const error = await load([
    localSource,
    { id: 'daily', type: 'transform', kind: 'sql', file: 'blocks/daily.sql', upstream: ['raw'], engine: 'bigquery' },
  ]).catch((e: unknown) => e);
  assert.ok(error instanceof UserError, String(error));
  assert.match(error.message, /edge raw → daily crosses engines \(DuckDB → BigQuery\)/);
  assert.match(error.message, /"Export to BigQuery" in raw's menu/);
  assert.equal(error.place.path, 'blocks[1].upstream[0]');
  assert.equal(error.place.line, 12);
});

test('a local block reading a warehouse block is refused with "Bring local"; exports downstream too', async () => {
  const trips = { id: 'trips', type: 'source', kind: 'table', engine: 'postgres', config: { table: 'ny_taxi.trips' } };
  const local = await load([trips, { id: 'report', type: 'transform', kind: 'sql', file: 'blocks/report.sql', upstream: ['trips'] }]).catch(
    (e: unknown) => e,
  );
  assert.ok(local instanceof UserError);
  assert.match(local.message, /edge trips → report crosses engines \(Postgres → DuckDB\).*"Bring local" in trips's menu/s);
  const exported = await load([
    trips,
    { id: 'out', type: 'export', kind: 'local_file', upstream: ['trips'], config: { path: 'out.csv' } },
  ]).catch((e: unknown) => e);
  assert.ok(exported instanceof UserError);
  assert.match(exported.message, /edge trips → out crosses engines/);
});

test("the pipeline's engine and connection apply to its SQL blocks; warehouse outputs are not read locally", async () => {
  const pipeline = await load(
    [
      { id: 'trips', type: 'source', kind: 'table', config: { table: 'ny_taxi.trips' } },
      { id: 'clean', type: 'transform', kind: 'sql', file: 'blocks/clean.sql', upstream: ['trips'] },
      { id: 'daily', type: 'transform', kind: 'sql', file: 'blocks/daily.sql', upstream: ['clean'], connection: 'pg' },
    ],
    { engine: 'postgres', connection: 'pg' },
  );
  assert.deepEqual(
    pipeline.blocks.map((b) => [b.id, b.engine, b.connection]),
    [
      ['trips', 'postgres', 'pg'],
      ['clean', 'postgres', 'pg'],
      ['daily', 'postgres', 'pg'],
    ],
  );
  assert.deepEqual(dataUpstreamOf(pipeline.blocks[2]!, pipeline.blocks), [], 'a warehouse output is no local input');
});

test('a BigQuery export is a table a BigQuery block may read; two connections of one engine are refused', async () => {
  const load_trips = {
    id: 'load_trips',
    type: 'export',
    kind: 'bigquery',
    upstream: ['raw'],
    config: { dataset: 'ny_taxi', table: 'trips' },
  };
  const ok = await load([
    localSource,
    load_trips,
    { id: 'daily', type: 'transform', kind: 'sql', file: 'blocks/daily.sql', upstream: ['load_trips'], engine: 'bigquery' },
  ]);
  assert.equal(ok.blocks[2]?.engine, 'bigquery');
  const twoConnections = await load([
    { id: 'trips', type: 'source', kind: 'table', engine: 'postgres', connection: 'pg', config: { table: 'a.b' } },
    {
      id: 'daily',
      type: 'transform',
      kind: 'sql',
      file: 'blocks/daily.sql',
      upstream: ['trips'],
      engine: 'postgres',
      connection: 'other_pg',
    },
  ]).catch((e: unknown) => e);
  assert.ok(twoConnections instanceof UserError);
  assert.match(twoConnections.message, /edge trips → daily crosses connections \(pg → other_pg\)/);
});

test('block names compile to qualified tables only where they stand as tables; positions map back', () => {
  const sql =
    "select daily.x, 'from daily' as s -- from daily\nfrom daily d, extra join zones on d.z = zones.id\nwhere x in (select y from daily)";
  const names = new Map([
    ['daily', '`proj.ds.daily`'],
    ['zones', '`proj.ds.zones`'],
    ['extra', '"s"."extra"'],
  ]);
  const compiled = compileBlockNames(sql, names);
  assert.equal(
    compiled.text,
    'select daily.x, \'from daily\' as s -- from daily\nfrom `proj.ds.daily` d, "s"."extra" join `proj.ds.zones` on d.z = zones.id\nwhere x in (select y from `proj.ds.daily`)',
  );
  const at = compiled.text.indexOf('where');
  assert.equal(compiled.toSource(at), sql.indexOf('where'));
  assert.equal(compiled.toSource(compiled.text.indexOf('proj.ds.zones')), sql.indexOf('zones on'));
});

test('the canvas marks edges that move data between engines: into a warehouse export, not between warehouse blocks', async () => {
  const { crossesEngines } = await import('../main/model/block-engine.ts');
  const local = { type: 'source' as const, kind: 'http_file' };
  const toBigQuery = { type: 'export' as const, kind: 'bigquery' };
  const daily = { type: 'transform' as const, kind: 'sql', engine: 'bigquery' as const };
  assert.deepEqual(crossesEngines(local, toBigQuery), { from: 'duckdb', to: 'bigquery' });
  assert.equal(crossesEngines(toBigQuery, daily), undefined);
  assert.equal(crossesEngines({ type: 'export' as const, kind: 'gcs' }, toBigQuery), undefined, 'an export to files only orders');
});

test('settings a warehouse block cannot honour (checks, drift, rename_columns, TypeScript tests) are refused at load', async () => {
  const trips = { id: 'trips', type: 'source', kind: 'table', engine: 'postgres', config: { table: 'a.b' } };
  const daily = { id: 'daily', type: 'transform', kind: 'sql', file: 'blocks/daily.sql', upstream: ['trips'], engine: 'postgres' };
  const checks = await load([trips, { ...daily, checks: [{ not_null: 'x' }] }]).catch((e: unknown) => e);
  assert.ok(checks instanceof UserError);
  assert.match(checks.message, /block daily runs in Postgres: checks: read a local output/);
  assert.equal(checks.place.path, 'blocks[1].checks');
  const renamed = await load([trips, { ...daily, config: { rename_columns: 'snake_case' } }]).catch((e: unknown) => e);
  assert.ok(renamed instanceof UserError);
  assert.match(renamed.message, /rename_columns works on duckdb only/);
});

test('"Bring local" adds a source that reads the warehouse block\'s table, ordered after it', async () => {
  const { bringLocalEdit } = await import('../renderer/src/editing/transfer-blocks.ts');
  const view = {
    id: 'p',
    version: 'v',
    spec: { blocks: [] } as never,
    layout: { nodes: {} },
    blocks: [
      {
        id: 'daily',
        type: 'transform',
        kind: 'sql',
        engine: 'bigquery',
        connection: 'bq',
        upstream: [],
        config: { dataset: 'ny_taxi' },
        tests: [],
        code: null,
      },
      { id: 'pg_model', type: 'transform', kind: 'sql', engine: 'postgres', upstream: [], config: {}, tests: [], code: null },
      { id: 'local', type: 'transform', kind: 'sql', upstream: [], config: {}, tests: [], code: null },
    ],
  } as never;
  const bq = bringLocalEdit(view, 'daily', { x: 1, y: 2 });
  assert.deepEqual(bq?.edit, {
    op: 'addBlock',
    block: {
      id: 'daily_local',
      type: 'source',
      kind: 'bigquery',
      upstream: ['daily'],
      config: { connection: 'bq', query: 'select * from `ny_taxi.daily`' },
    },
    position: { x: 1, y: 2 },
  });
  assert.equal(
    (bringLocalEdit(view, 'pg_model', { x: 0, y: 0 })?.edit as unknown as { block: { config: { query: string } } }).block.config.query,
    'select * from p.pg_model',
  );
  assert.equal(bringLocalEdit(view, 'local', { x: 0, y: 0 }), undefined, 'a local block has nothing to bring');
});
