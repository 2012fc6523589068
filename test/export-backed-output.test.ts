import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunEvent } from '../main/model/run-events.ts';
import type { RunScope } from '../main/model/run-events.ts';
import { sqlBlock, withPipeline, type ProjectRun } from './helpers/run-project.ts';
import { createTestRegistry, querySource } from './helpers/test-kinds.ts';
import { createTempProject } from './helpers/temp-project.ts';
import { openProject } from '../main/runtime/open-project.ts';

// A SQL block read only by a Parquet file export writes the export's files as it runs, and its own output is a view
// over private links to them (main/blocks/export-backed-output.ts, main/engine/file-sink.ts): the rows are computed
// and written once. These tests hold it to what the two blocks did before: the same files, the same stored rows,
// checks before anything is published, and nothing staged left behind.

/** 1,000 trips: NULL days, text that looks like NULL, a timestamp and a double. */
const TRIPS = `SELECT range::INTEGER AS id,
  CASE WHEN range % 7 = 0 THEN NULL ELSE DATE '2021-01-01' + (range % 5)::INTEGER END AS day,
  CASE range % 4 WHEN 0 THEN 'NULL' WHEN 1 THEN 'a/b=c' WHEN 2 THEN '' ELSE NULL END AS label,
  TIMESTAMP '2021-01-01 00:00:00' + to_microseconds(range * 1500) AS picked_at,
  (range * 0.25)::DOUBLE AS amount
FROM range(1000)`;
const CLEAN_SQL = 'select amount, id, day, label, picked_at from src where id % 10 <> 3';

const src = { id: 'src', type: 'source', kind: 'test_query', config: { sql: TRIPS } };
const exportTo = (config: Record<string, unknown>, upstream = ['clean']) => ({
  id: 'exp',
  type: 'export',
  kind: 'local_file',
  upstream,
  config,
});

async function run(ctx: ProjectRun, scope: RunScope = { kind: 'pipeline' }) {
  const result = await ctx.run({ pipeline: await ctx.open.loadPipeline('p'), scope, trigger: { kind: 'test' } });
  const events = ctx.events.filter((e) => e.runId === result.runId);
  return { result, events };
}

const blockEvent = (events: RunEvent[], blockId: string) =>
  events.find(
    (e): e is Extract<RunEvent, { type: 'block.succeeded' | 'block.failed' | 'block.skipped' }> =>
      (e.type === 'block.succeeded' || e.type === 'block.failed' || e.type === 'block.skipped') && e.blockId === blockId,
  );

/** Whether the block's latest output is a view (written through the export) rather than a table. */
async function isView(ctx: ProjectRun, blockId: string): Promise<boolean> {
  const rows = await ctx.open.workspace.readRows(
    `SELECT count(*)::INTEGER AS n FROM duckdb_views() WHERE schema_name = '_pw_out' AND view_name LIKE 'p__${blockId}__%'`,
  );
  return Number(rows[0]?.n) > 0;
}

/** The rows of `sql` in the workspace, as text, sorted: comparable across tables, views and files. */
async function rowsOf(ctx: ProjectRun, sql: string): Promise<string[]> {
  const rows = await ctx.open.workspace.readRows(`SELECT * FROM (${sql}) ORDER BY id`);
  return rows.map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
}

const describeOf = async (ctx: ProjectRun, sql: string) =>
  (await ctx.open.workspace.readRows(`DESCRIBE ${sql}`)).map((r) => `${String(r.column_name)} ${String(r.column_type)}`);

/** Entries of the output folder left by the export's staging (`<target>.pw-tmp-…`, `.pw-old-…`). */
const leftovers = (ctx: ProjectRun) =>
  existsSync(path.join(ctx.temp.dir, 'output')) ? readdirSync(path.join(ctx.temp.dir, 'output')).filter((n) => n.includes('.pw-')) : [];

function snapshot(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => {
      const file = path.join(e.parentPath, e.name);
      return `${path.relative(dir, file)}:${statSync(file).size}:${statSync(file).mtimeMs}`;
    })
    .sort();
}

const expected = `SELECT amount, id, day, label, picked_at FROM (${TRIPS}) WHERE id % 10 <> 3`;

test('a SQL block read only by a partitioned Parquet export writes its files once; its output reads back exactly', async () => {
  await withPipeline(
    { blocks: [src, sqlBlock('clean', ['src']), exportTo({ path: 'output/trips', partition_by: ['day'] })] },
    async (ctx) => {
      const { result, events } = await run(ctx);
      assert.equal(result.status, 'succeeded', JSON.stringify(result.blocks));
      assert.ok(await isView(ctx, 'clean'), 'clean is a view over the exported files');
      const clean = blockEvent(events, 'clean');
      const exp = blockEvent(events, 'exp');
      assert.equal(clean?.type === 'block.succeeded' && clean.rowsOut, 900);
      assert.equal(exp?.type === 'block.succeeded' && exp.rowsOut, 900);
      // The log says where the rows went, in both blocks.
      const lines = events.flatMap((e) => (e.type === 'log.written' ? [`${e.blockId}: ${e.message}`] : []));
      assert.ok(lines.includes("clean: wrote its rows as exp's files (output/trips), published once its checks pass"), lines.join('\n'));
      assert.ok(
        lines.some((l) => l.startsWith('exp: put in place the 900 rows clean wrote as it ran: output/trips (parquet, 6 partitions')),
      );

      // The stored output: the query's rows, columns in its order and types (the partition column typed back, NULLs kept).
      assert.deepEqual(await rowsOf(ctx, 'SELECT * FROM p.clean'), await rowsOf(ctx, expected));
      assert.deepEqual(await describeOf(ctx, 'p.clean'), await describeOf(ctx, `(${expected})`));
      const preview = await ctx.open.workspace.preview('p', 'clean', { offset: 0, limit: 5, filter: 'day IS NULL' });
      assert.equal(preview.totalRows, 900 - (await rowsOf(ctx, `${expected} AND day IS NOT NULL`)).length);

      // The export's files: Hive folders as DuckDB's COPY writes them, the rows of the query, nothing staged left.
      const folder = path.join(ctx.temp.dir, 'output', 'trips');
      assert.deepEqual(readdirSync(folder).sort(), [
        'day=2021-01-01',
        'day=2021-01-02',
        'day=2021-01-03',
        'day=2021-01-04',
        'day=2021-01-05',
        'day=__HIVE_DEFAULT_PARTITION__',
      ]);
      const files = `read_parquet('${folder}/**/*.parquet', hive_partitioning = true, hive_types = {'day': DATE})`;
      assert.deepEqual(await rowsOf(ctx, `SELECT amount, id, day, label, picked_at FROM ${files}`), await rowsOf(ctx, expected));
      assert.deepEqual(leftovers(ctx), []);

      // The stored output does not depend on the export's files: deleting them, then the export alone writes them again.
      rmSync(folder, { recursive: true });
      assert.deepEqual(await rowsOf(ctx, 'SELECT * FROM p.clean'), await rowsOf(ctx, expected));
      const again = await run(ctx, { kind: 'block', block: 'exp' });
      assert.equal(again.result.status, 'succeeded', JSON.stringify(again.result.blocks));
      assert.deepEqual(await rowsOf(ctx, `SELECT amount, id, day, label, picked_at FROM ${files}`), await rowsOf(ctx, expected));
    },
    { files: { 'blocks/clean.sql': CLEAN_SQL }, kinds: [querySource] },
  );
});

test('a failing check stops the export: its previous files stay as they were and nothing staged is left', async () => {
  await withPipeline(
    { blocks: [src, sqlBlock('clean', ['src']), exportTo({ path: 'output/trips.parquet' })] },
    async (ctx) => {
      const first = await run(ctx);
      assert.equal(first.result.status, 'succeeded', JSON.stringify(first.result.blocks));
      assert.ok(await isView(ctx, 'clean'), 'one Parquet file takes the rows too');
      const target = path.join(ctx.temp.dir, 'output', 'trips.parquet');
      const before = snapshot(path.dirname(target));

      ctx.temp.writePipeline('p', {
        blocks: [src, sqlBlock('clean', ['src'], { checks: [{ not_null: 'day' }] }), exportTo({ path: 'output/trips.parquet' })],
      });
      const second = await run(ctx);
      assert.equal(second.result.status, 'failed');
      assert.equal(blockEvent(second.events, 'clean')?.type, 'block.failed');
      assert.equal(blockEvent(second.events, 'exp')?.type, 'block.skipped');
      assert.deepEqual(snapshot(path.dirname(target)), before, 'the published file is untouched');
      assert.deepEqual(leftovers(ctx), []);
      // The stored output is still the first run's.
      assert.deepEqual(await rowsOf(ctx, 'SELECT * FROM p.clean'), await rowsOf(ctx, expected));
    },
    { files: { 'blocks/clean.sql': CLEAN_SQL }, kinds: [querySource] },
  );
});

test('an error while the rows are written fails the SQL block where a table write fails it, and stages nothing', async () => {
  // The cast fails on values, not types: DuckDB only finds it while it writes.
  const files = { 'blocks/clean.sql': 'select id, day,\n  cast(label as integer) as n\nfrom src' };
  const failureWith = async (exported: Record<string, unknown>) => {
    let error: unknown;
    await withPipeline(
      { blocks: [src, sqlBlock('clean', ['src']), exported] },
      async (ctx) => {
        const { result, events } = await run(ctx);
        assert.equal(result.status, 'failed');
        const failed = blockEvent(events, 'clean');
        error = failed?.type === 'block.failed' ? failed.error : undefined;
        assert.deepEqual(leftovers(ctx), []);
        const out = path.join(ctx.temp.dir, 'output');
        assert.deepEqual(existsSync(out) ? readdirSync(out) : [], []);
      },
      { files, kinds: [querySource] },
    );
    return error as { message: string; place: unknown };
  };
  const through = await failureWith(exportTo({ path: 'output/trips', partition_by: ['day'] }));
  const table = await failureWith(exportTo({ path: 'output/trips.csv' }));
  assert.match(through.message, /Could not convert string 'NULL' to INT32/);
  assert.deepEqual(through, table);
});

test('a text partition column, a second reader or a CSV export keep the block a table, with the same results', async () => {
  const cases: { name: string; blocks: Record<string, unknown>[]; written: string }[] = [
    {
      name: 'text partition', // a value 'NULL' would read back from its folder name as NULL
      blocks: [src, sqlBlock('clean', ['src']), exportTo({ path: 'output/trips', partition_by: ['label'] })],
      written: 'trips/label=NULL',
    },
    {
      name: 'two readers',
      blocks: [src, sqlBlock('clean', ['src']), exportTo({ path: 'output/trips.parquet' }), sqlBlock('other', ['clean'])],
      written: 'trips.parquet',
    },
    { name: 'csv', blocks: [src, sqlBlock('clean', ['src']), exportTo({ path: 'output/trips.csv' })], written: 'trips.csv' },
  ];
  for (const c of cases) {
    await withPipeline(
      { blocks: c.blocks },
      async (ctx) => {
        const { result } = await run(ctx);
        assert.equal(result.status, 'succeeded', `${c.name}: ${JSON.stringify(result.blocks)}`);
        assert.equal(await isView(ctx, 'clean'), false, c.name);
        assert.deepEqual(await rowsOf(ctx, 'SELECT * FROM p.clean'), await rowsOf(ctx, expected), c.name);
        assert.ok(existsSync(path.join(ctx.temp.dir, 'output', c.written)), `${c.name}: ${c.written}`);
        assert.deepEqual(leftovers(ctx), []);
      },
      { files: { 'blocks/clean.sql': CLEAN_SQL, 'blocks/other.sql': 'select count(*) as n from clean' }, kinds: [querySource] },
    );
  }
});

test('a partitioned export of no rows: the block is an empty table and the export writes what it always did', async () => {
  await withPipeline(
    { blocks: [src, sqlBlock('clean', ['src']), exportTo({ path: 'output/trips', partition_by: ['day'] })] },
    async (ctx) => {
      const { result, events } = await run(ctx);
      const clean = blockEvent(events, 'clean');
      assert.equal(clean?.type === 'block.succeeded' && clean.rowsOut, 0, JSON.stringify(result.blocks));
      assert.equal(await isView(ctx, 'clean'), false);
      assert.deepEqual(leftovers(ctx), []);
    },
    { files: { 'blocks/clean.sql': 'select * from src where id < 0' }, kinds: [querySource] },
  );
});

test('after the project folder moves, an output kept as export files reads them in the new place (and reopening works)', async () => {
  const temp = createTempProject();
  const moved = `${temp.dir}-moved`;
  const registry = () => {
    const kinds = createTestRegistry();
    kinds.register(querySource);
    return kinds;
  };
  try {
    temp.writePipeline('p', { blocks: [src, sqlBlock('clean', ['src']), exportTo({ path: 'output/trips', partition_by: ['day'] })] });
    temp.writeFile('blocks/clean.sql', CLEAN_SQL);
    const first = await openProject(temp.dir, { kinds: registry() });
    const result = await first.run({ pipeline: await first.loadPipeline('p'), scope: { kind: 'pipeline' }, trigger: { kind: 'test' } });
    assert.equal(result.status, 'succeeded', JSON.stringify(result.blocks));
    const want = (await first.workspace.readRows('SELECT count(*)::INTEGER AS n, sum(id)::BIGINT AS s FROM p.clean'))[0];
    await first.close();
    renameSync(temp.dir, moved);
    for (let open = 0; open < 2; open++) {
      // Twice: the first opening re-points the view, the second finds it in place.
      const again = await openProject(moved, { kinds: registry() });
      try {
        const got = (await again.workspace.readRows('SELECT count(*)::INTEGER AS n, sum(id)::BIGINT AS s FROM p.clean'))[0];
        assert.deepEqual(got, want);
      } finally {
        await again.close();
      }
    }
  } finally {
    rmSync(moved, { recursive: true, force: true });
    temp.cleanup();
  }
});

test('staging left beside the target by a run that is over is swept by the next run; a run not known to be over keeps its own', async () => {
  await withPipeline(
    { blocks: [src, sqlBlock('clean', ['src']), exportTo({ path: 'output/trips', partition_by: ['day'] })] },
    async (ctx) => {
      const first = await run(ctx);
      assert.equal(first.result.status, 'succeeded', JSON.stringify(first.result.blocks));
      // As a run killed between its SQL block and its export leaves them (their names carry the run).
      const out = path.join(ctx.temp.dir, 'output');
      const over = `trips.pw-tmp-${first.result.runId}-0badc0de`;
      const unknown = 'trips.pw-tmp-r20991231T000000_ffffff-0badc0de';
      for (const name of [over, unknown]) {
        mkdirSync(path.join(out, name, 'day=2021-01-01'), { recursive: true });
        writeFileSync(path.join(out, name, 'day=2021-01-01', 'data_0.parquet'), 'partial');
      }
      const second = await run(ctx);
      assert.equal(second.result.status, 'succeeded', JSON.stringify(second.result.blocks));
      assert.deepEqual(leftovers(ctx), [unknown]);
    },
    { files: { 'blocks/clean.sql': CLEAN_SQL }, kinds: [querySource] },
  );
});
