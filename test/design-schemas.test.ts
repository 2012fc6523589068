import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openProject } from '../main/runtime/open-project.ts';
import { createApiHandlers, dispatch } from '../main/api/handlers.ts';
import type { PipelineSchemas } from '../main/api/design-handlers.ts';
import { startFileServer } from './helpers/http-server.ts';
import { writeYellowTaxiCsv } from './helpers/taxi-csv.ts';
import { createTempProject } from './helpers/temp-project.ts';
import { createTestRegistry } from './helpers/test-kinds.ts';

const EXAMPLE = path.resolve(import.meta.dirname, '..', 'examples', 'nyc-taxi');

/** A copy of the nyc-taxi example (no local state) in a temp folder. */
function copyExample(root: string): string {
  const dir = path.join(root, 'nyc');
  cpSync(EXAMPLE, dir, { recursive: true, filter: (src) => !src.includes(`${path.sep}.pipewright`) && !src.includes(`${path.sep}output`) });
  return dir;
}

async function schemasOf(
  handlers: ReturnType<typeof createApiHandlers>,
  pipelineId: string,
  variables: Record<string, string>,
): Promise<PipelineSchemas> {
  const answer = await dispatch(handlers, 'pipelines.schemas', { pipelineId, variables });
  assert.ok(answer.ok, JSON.stringify(answer));
  return answer.result as PipelineSchemas;
}

test('every block of the example has its columns before any run: the CSV header sampled once per ETag, SQL bound over it, renamed to snake_case', async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'pw-schemas-'));
  const server = await startFileServer();
  try {
    const csv = path.join(root, 'yellow.csv.gz');
    // Bigger than the 2 MiB sample once compressed: the sampler must cut the gzip stream and the last partial line.
    await writeYellowTaxiCsv(csv, { rows: 120_000, seed: 3, gzip: true });
    server.serve('/yellow.csv.gz', { file: csv });
    const dir = copyExample(root);
    const open = await openProject(dir);
    const handlers = createApiHandlers(open, () => undefined);
    const vars = { source_url: `${server.url}/yellow.csv.gz` };
    try {
      const first = await schemasOf(handlers, 'yellow_taxi_etl', vars);
      const byId = Object.fromEntries(first.blocks.map((b) => [b.blockId, b]));
      const load = byId.load_yellow_taxi;
      assert.equal(load?.origin, 'design');
      const loadTypes = Object.fromEntries((load?.columns ?? []).map((c) => [c.name, c.type]));
      assert.equal(loadTypes.VendorID, 'BIGINT');
      assert.equal(loadTypes.tpep_pickup_datetime, 'TIMESTAMP');
      assert.equal(loadTypes.store_and_fwd_flag, 'VARCHAR');
      const clean = byId.clean_yellow_taxi;
      assert.equal(clean?.origin, 'design');
      const cleanTypes = Object.fromEntries((clean?.columns ?? []).map((c) => [c.name, c.type]));
      assert.equal(cleanTypes.vendor_id, 'BIGINT');
      assert.equal(cleanTypes.pu_location_id, 'BIGINT');
      assert.equal(cleanTypes.tpep_pickup_date, 'DATE');
      assert.deepEqual(clean?.problems, []);
      // Column lineage, from the SQL's parse tree: renamed columns lead back to the file's, the derived date to its timestamp.
      const sources = Object.fromEntries((clean?.lineage ?? []).map((l) => [l.column, l.sources]));
      assert.deepEqual(sources.vendor_id, [{ block: 'load_yellow_taxi', column: 'VendorID' }]);
      assert.deepEqual(sources.tpep_pickup_date, [{ block: 'load_yellow_taxi', column: 'tpep_pickup_datetime' }]);
      assert.equal(clean?.lineage?.length, clean?.columns?.length);
      assert.equal(byId.export_yellow_taxi_postgres?.columns, null, 'an export has no output');

      // Sampled once: the second call only asks the server whether the file changed (HEAD), it reads no body.
      const before = server.requests('/yellow.csv.gz');
      await schemasOf(handlers, 'yellow_taxi_etl', vars);
      assert.equal(server.requests('/yellow.csv.gz') - before, 1);
      const cache = JSON.parse(readFileSync(path.join(dir, '.pipewright', 'cache', 'schemas.json'), 'utf8')) as Record<
        string,
        { fingerprint: string }
      >;
      assert.ok(
        Object.values(cache).some((e) => e.fingerprint.startsWith('etag:')),
        JSON.stringify(cache),
      );
    } finally {
      await open.close();
    }
  } finally {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('a SQL block reading a column its upstream no longer has is flagged with the line, and so is a check naming a missing column', async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'pw-schemas-'));
  try {
    const dir = path.join(root, 'p');
    cpSync(EXAMPLE, dir, { recursive: true, filter: (src) => !src.includes(`${path.sep}.pipewright`) });
    writeFileSync(path.join(dir, 'trips.csv'), 'id,fare,passengers\n1,2.5,1\n2,3.5,2\n');
    writeFileSync(
      path.join(dir, 'blocks', 'by_fare.sql'),
      '-- fares by passengers\nselect passengers,\n  sum(tip) as tips\nfrom trips\ngroup by all\n',
    );
    const pipelineDir = path.join(dir, 'pipelines', 'small');
    mkdirSync(pipelineDir, { recursive: true });
    cpSync(path.join(dir, 'pipelines', 'yellow_taxi_etl', 'layout.json'), path.join(pipelineDir, 'layout.json'));
    writeFileSync(
      path.join(pipelineDir, 'pipeline.yaml'),
      [
        'blocks:',
        '  - { id: trips, type: source, kind: local_file, config: { path: trips.csv } }',
        '  - id: by_fare',
        '    type: transform',
        '    kind: sql',
        '    file: blocks/by_fare.sql',
        '    upstream: [trips]',
        '  - id: scored',
        '    type: transform',
        '    kind: typescript',
        '    file: blocks/scored.ts',
        '    upstream: [trips]',
        '    schema: { id: BIGINT, score: DOUBLE }',
        '    checks:',
        '      - not_null: score',
        '      - unique: [id, tip_rate]',
        '',
      ].join('\n'),
    );
    writeFileSync(path.join(dir, 'blocks', 'scored.ts'), 'export default (inputs: unknown) => inputs;\n');
    const open = await openProject(dir);
    const handlers = createApiHandlers(open, () => undefined);
    try {
      const { blocks } = await schemasOf(handlers, 'small', {});
      const byId = Object.fromEntries(blocks.map((b) => [b.blockId, b]));
      assert.deepEqual(byId.trips?.columns, [
        { name: 'id', type: 'BIGINT' },
        { name: 'fare', type: 'DOUBLE' },
        { name: 'passengers', type: 'BIGINT' },
      ]);
      const problem = byId.by_fare?.problems[0];
      assert.equal(problem?.line, 3, JSON.stringify(problem));
      assert.match(problem?.message ?? '', /tip/);
      assert.equal(byId.by_fare?.columns, null);
      assert.equal(byId.scored?.origin, 'declared');
      assert.deepEqual(byId.scored?.problems, [
        { message: 'check unique(id, tip_rate): block scored has no column tip_rate (it has id, score)', path: 'checks.1.unique' },
      ]);
    } finally {
      await open.close();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("a block whose kind cannot tell its columns has its last run's, and before that says when they will be known", async () => {
  const temp = createTempProject();
  temp.writeFile('blocks/doubled.sql', 'select i * 2 as doubled from numbers\n');
  temp.writePipeline('p', {
    blocks: [
      { id: 'numbers', type: 'source', kind: 'test_rows', config: { rows: 3 } },
      { id: 'doubled', type: 'transform', kind: 'sql', file: 'blocks/doubled.sql', upstream: ['numbers'] },
    ],
  });
  const open = await openProject(temp.dir, { kinds: createTestRegistry() });
  const handlers = createApiHandlers(open, () => undefined);
  try {
    const before = Object.fromEntries((await schemasOf(handlers, 'p', {})).blocks.map((b) => [b.blockId, b]));
    assert.equal(before.numbers?.origin, 'none');
    assert.match(before.numbers?.note ?? '', /known after its first run \(or declare schema: in pipeline.yaml\)/);
    assert.equal(before.doubled?.columns, null);
    assert.match(before.doubled?.note ?? '', /the columns of numbers are unknown until it runs/);
    const run = await open.run({ pipeline: await open.loadPipeline('p'), scope: { kind: 'pipeline' }, trigger: { kind: 'test' } });
    assert.equal(run.status, 'succeeded');
    const after = Object.fromEntries((await schemasOf(handlers, 'p', {})).blocks.map((b) => [b.blockId, b]));
    assert.equal(after.numbers?.origin, 'last_run');
    assert.deepEqual(after.doubled?.columns, [{ name: 'doubled', type: 'BIGINT' }]);
    assert.equal(after.doubled?.origin, 'design');
  } finally {
    await open.close();
    temp.cleanup();
  }
});

test('a block pushed down to BigQuery is not bound as DuckDB SQL: its BigQuery syntax is no problem at design time', async () => {
  const temp = createTempProject();
  temp.writeFile(
    'connections.yaml',
    'bq: { type: bigquery, endpoint: "http://127.0.0.1:9", project_id: test-project, credentials: none }\n',
  );
  temp.writeFile('blocks/daily.sql', 'select SAFE_CAST(fare AS INT64) as fare\nfrom `test-project.ny_taxi.trips`\n');
  temp.writePipeline('p', {
    engine: 'bigquery',
    connection: 'bq',
    blocks: [
      // Declared columns: the upstream is known, so only the engine keeps daily's SQL away from DuckDB.
      { id: 'trips', type: 'source', kind: 'table', config: { table: 'test-project.ny_taxi.trips' }, schema: { fare: 'VARCHAR' } },
      { id: 'daily', type: 'transform', kind: 'sql', file: 'blocks/daily.sql', upstream: ['trips'] },
    ],
  });
  const open = await openProject(temp.dir);
  const handlers = createApiHandlers(open, () => undefined);
  try {
    const daily = (await schemasOf(handlers, 'p', {})).blocks.find((b) => b.blockId === 'daily');
    assert.deepEqual(daily?.problems, []);
    assert.equal(daily?.origin, 'none');
  } finally {
    await open.close();
    temp.cleanup();
  }
});
