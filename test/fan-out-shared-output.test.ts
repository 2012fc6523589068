import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tableFromIPC } from 'apache-arrow';
import { z } from 'zod';
import { OperationalError } from '../main/model/errors.ts';
import type { BlockKind } from '../main/model/block-kind.ts';
import type { OpenProject } from '../main/runtime/open-project.ts';
import { sqlBlock, withPipeline } from './helpers/run-project.ts';

const trigger = { kind: 'test' as const };
const pipelineScope = { kind: 'pipeline' as const };

async function runP(open: OpenProject, run: OpenProject['run'], variables?: Record<string, unknown>) {
  return run({ pipeline: await open.loadPipeline('p'), scope: pipelineScope, trigger, ...(variables ? { variables } : {}) });
}

/** A child's stored output as plain rows and its columns (name: type), read through the preview like the UI does. */
async function childOutput(open: OpenProject, id: string, runId?: string) {
  const preview = await open.workspace.preview('p', id, { offset: 0, limit: 100 }, runId);
  const rows = tableFromIPC(preview.ipc)
    .toArray()
    .map((r) => Object.fromEntries(Object.entries(r.toJSON()).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
  return { rows, total: preview.totalRows, columns: preview.columns.map((c) => `${c.name}: ${c.type}`) };
}

async function outputTableCount(open: OpenProject): Promise<number> {
  const [row] = await open.workspace.readRows(`SELECT count(*) AS n FROM duckdb_tables() WHERE schema_name = '_pw_out'`);
  return Number(row?.n);
}

test('the children of a fan-out write one shared table, not one table each; each previews as its own rows', async () => {
  const pipeline = {
    blocks: [
      { id: 'ids', type: 'source', kind: 'sql', file: 'blocks/ids.sql', dynamic: true },
      sqlBlock('each', ['ids'], { reduce: true }),
    ],
  };
  const files = {
    'blocks/ids.sql': 'select range::INTEGER as i from range({{ n }})',
    'blocks/each.sql': "select {{ item.i }} as i, 'item ' || {{ item.i }} as label from range({{ item.i }} % 3)",
  };
  await withPipeline(
    { ...pipeline, variables: { n: 3 } },
    async ({ open, run }) => {
      const small = await runP(open, run, { n: 3 });
      assert.equal(small.status, 'succeeded');
      const tablesForThree = await outputTableCount(open);
      const result = await runP(open, run, { n: 60 });
      assert.equal(result.status, 'succeeded', JSON.stringify(result.blocks));
      // ids, each (the reduce) and the children's one shared table: as many tables for 60 children as for 3.
      assert.equal(await outputTableCount(open), tablesForThree);
      assert.deepEqual(await childOutput(open, 'each[7]'), {
        rows: [{ i: 7, label: 'item 7' }],
        total: 1,
        columns: ['i: INTEGER', 'label: VARCHAR'],
      });
      assert.equal((await childOutput(open, 'each[9]')).total, 0, 'a child that wrote no rows reads as an empty output');
      // Each child reads all of its upstream (counted once for the fan-out, reported per child).
      const children = open.store.getRun(result.runId)?.blocks.filter((b) => b.blockId.startsWith('each[')) ?? [];
      assert.deepEqual(new Set(children.map((b) => b.rowsIn)), new Set([60]));
      assert.equal((await open.workspace.latestOutput('p', 'each[8]'))?.rows, 2);
      assert.equal((await open.workspace.latestOutput('p', 'each[8]'))?.runId, result.runId);
      assert.equal(await open.workspace.latestOutput('p', 'each[60]'), undefined, 'no such child');
      await assert.rejects(open.workspace.preview('p', 'each[60]', { offset: 0, limit: 1 }), /the output of each\[60\] is not stored/);
      // Sorting and filtering a child's rows work as on any output.
      const sorted = await open.workspace.preview('p', 'each[8]', {
        offset: 0,
        limit: 5,
        orderBy: [{ column: 'i', descending: true }],
        filter: 'i = 8',
      });
      assert.equal(sorted.totalRows, 2);
      const ofRun = await open.workspace.runOutputs('p', result.runId);
      assert.equal(
        ofRun.filter((o) => o.blockId.startsWith('each[') && o.blockId !== 'each[]').length,
        60,
        'every child is listed as an output of its run',
      );
      const [reduced] = await open.workspace.readRows('SELECT count(*) AS n, sum(i) AS total FROM p.each');
      const expected = Array.from({ length: 60 }, (_, i) => i).reduce((sum, i) => sum + (i % 3) * i, 0);
      assert.deepEqual([Number(reduced?.n), Number(reduced?.total)], [60, expected]);
    },
    { files },
  );
});

test('a child whose columns differ from the shared table keeps its own table with its exact types (no silent cast)', async () => {
  const pipeline = {
    blocks: [
      { id: 'vals', type: 'source', kind: 'sql', file: 'blocks/vals.sql', dynamic: true },
      sqlBlock('each', ['vals'], { reduce: true }),
    ],
  };
  const files = {
    // 1 and 2 render as INTEGER literals, 2.5 as a DECIMAL: an INTEGER column would round it to 3.
    'blocks/vals.sql': 'select * from (values (1, 1), (2, 1), (2.5, 1), (4.25, 0)) as t(v, n)',
    'blocks/each.sql': 'select {{ item.v }} as v from range({{ item.n }})',
  };
  await withPipeline(
    pipeline,
    async ({ open, run }) => {
      const result = await runP(open, run);
      assert.equal(result.status, 'succeeded', JSON.stringify(result.blocks));
      assert.deepEqual(await childOutput(open, 'each[1]'), { rows: [{ v: 2 }], total: 1, columns: ['v: INTEGER'] });
      assert.deepEqual(await childOutput(open, 'each[2]'), { rows: [{ v: 2.5 }], total: 1, columns: ['v: DECIMAL(2,1)'] });
      // No row went through the INSERT's check: the empty child's columns are compared on their own.
      assert.deepEqual(await childOutput(open, 'each[3]'), { rows: [], total: 0, columns: ['v: DECIMAL(3,2)'] });
      const [reduced] = await open.workspace.readRows('SELECT sum(v)::DOUBLE AS total, count(*) AS n FROM p.each');
      assert.deepEqual([Number(reduced?.total), Number(reduced?.n)], [5.5, 3]);
    },
    { files },
  );
});

/** Attempts per child: the child named by `fail_first` fails its first attempt after writing its rows. */
const attempts = new Map<string, number>();
const writerConfig = z.strictObject({ n: z.number(), fail_first: z.number().default(-1), leak: z.boolean().default(false) });
const writerKind: BlockKind<z.infer<typeof writerConfig>> = {
  type: 'source',
  kind: 'test_writer',
  title: 'Test writer',
  configSchema: writerConfig,
  code: 'none',
  async run(ctx, config) {
    const key = `${ctx.runId}/${ctx.block.id}`;
    const attempt = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, attempt);
    // A temp table left on the connection: the next child must not find it.
    const [seen] = await ctx.data.queryRows("SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = 'leaked'");
    if (config.leak) await ctx.data.run('CREATE TEMP TABLE leaked AS SELECT 1 AS x');
    const rows = await ctx.data.writeOutputFromQuery(`select ${config.n} as n, ${attempt} as attempt, ${Number(seen?.n)} as leaks_seen`);
    if (config.n === config.fail_first && attempt === 1) throw new OperationalError(`child ${config.n} fails once after writing`);
    return { rowsOut: rows, hasOutput: true };
  },
};

test("a retried child's rows are in the shared table once, from its last attempt; a child's connection state never reaches the next", async () => {
  const pipeline = {
    concurrency: 1,
    retry: { retries: 1, delay: 0.01, max_delay: 0.02 },
    blocks: [
      { id: 'ns', type: 'source', kind: 'sql', file: 'blocks/ns.sql', dynamic: true },
      {
        id: 'each',
        type: 'source',
        kind: 'test_writer',
        upstream: ['ns'],
        reduce: true,
        config: { n: '{{ item.n }}', fail_first: 2, leak: '{{ item.leak }}' },
      },
    ],
  };
  const files = { 'blocks/ns.sql': 'select range::INTEGER as n, range = 0 as leak from range(4)' };
  await withPipeline(
    pipeline,
    async ({ open, run }) => {
      const result = await runP(open, run);
      assert.equal(result.status, 'succeeded', JSON.stringify(result.blocks));
      assert.equal(open.store.getRun(result.runId)?.blocks.find((b) => b.blockId === 'each[2]')?.attempts, 2);
      const rows = await open.workspace.readRows('SELECT n, attempt, leaks_seen FROM p.each ORDER BY n');
      // Children's rows wait in an in-memory stage until recorded; nothing is left there once the fan-out is done.
      const stage = await open.workspace.readRows("SELECT count(*) AS n FROM information_schema.tables WHERE table_catalog = '_pw_stage'");
      assert.equal(Number(stage[0]?.n), 0);
      assert.deepEqual(
        rows.map((r) => [Number(r.n), Number(r.attempt), Number(r.leaks_seen)]),
        [
          [0, 1, 0],
          [1, 1, 0],
          [2, 2, 0],
          [3, 1, 0],
        ],
      );
    },
    { files, kinds: [writerKind] },
  );
});

test("a past run's children stay previewable while kept; a renamed fan-out keeps its children's outputs", async () => {
  const pipeline = {
    variables: { tag: 'a' },
    blocks: [{ id: 'ids', type: 'source', kind: 'sql', file: 'blocks/ids.sql', dynamic: true }, sqlBlock('each', ['ids'])],
  };
  const files = {
    'blocks/ids.sql': 'select range::INTEGER as i from range(3)',
    'blocks/each.sql': "select {{ item.i }} as i, '{{ tag }}' as tag",
  };
  await withPipeline(
    pipeline,
    async ({ open, run }) => {
      const first = await runP(open, run, { tag: 'first' });
      const second = await runP(open, run, { tag: 'second' });
      assert.deepEqual([first.status, second.status], ['succeeded', 'succeeded']);
      assert.deepEqual((await childOutput(open, 'each[1]')).rows, [{ i: 1, tag: 'second' }]);
      assert.deepEqual((await childOutput(open, 'each[1]', first.runId)).rows, [{ i: 1, tag: 'first' }]);
      const third = await runP(open, run, { tag: 'third' });
      assert.equal(third.status, 'succeeded');
      await assert.rejects(childOutput(open, 'each[1]', first.runId), /not stored/, 'beyond outputs_keep_last: 2');
      await open.workspace.renameBlockOutputs('p', 'each', 'every');
      assert.deepEqual((await childOutput(open, 'every[2]')).rows, [{ i: 2, tag: 'third' }]);
    },
    { files, settings: { retention: { outputs_keep_last: 2 } } },
  );
});

test("an item that smuggles a second statement into a child's SQL is refused, naming the line; nothing of it runs", async () => {
  const pipeline = {
    blocks: [{ id: 'vals', type: 'source', kind: 'sql', file: 'blocks/vals.sql', dynamic: true }, sqlBlock('each', ['vals'])],
  };
  const files = {
    'blocks/vals.sql':
      "select * from (values (0, '1'), (1, '2 as v\n); CREATE TABLE smuggled AS SELECT 42 AS w; SELECT * FROM (SELECT 3')) as t(k, v)",
    'blocks/each.sql': 'select\n{{ item.v }} as v',
  };
  await withPipeline(
    pipeline,
    async ({ open, run }) => {
      const result = await runP(open, run);
      assert.equal(result.status, 'failed');
      const child = open.store.getRun(result.runId)?.blocks.find((b) => b.blockId === 'each[1]');
      assert.match(
        child?.error?.message ?? '',
        /a SQL block must be one statement; DuckDB found 3, a second one starts after a ";" \(line 3: CREATE TABLE smuggled/,
      );
      assert.equal(child?.error?.place?.line, 3);
      const [smuggled] = await open.workspace.readRows("SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = 'smuggled'");
      assert.equal(Number(smuggled?.n), 0);
      assert.deepEqual((await childOutput(open, 'each[0]')).rows, [{ v: 1 }]);
    },
    { files, settings: { engine: { concurrency: 1 } } },
  );
});

test('children whose rows together exceed memory_limit spill to disk instead of failing (a month of trips per child)', async () => {
  const pipeline = {
    blocks: [
      { id: 'ids', type: 'source', kind: 'sql', file: 'blocks/ids.sql', dynamic: true },
      sqlBlock('each', ['ids'], { reduce: true }),
    ],
  };
  // Ten children of 1M rows × 4 columns (~400 MB together, four times the 100 MB limit), two at a time.
  const files = {
    'blocks/ids.sql': 'select range::INTEGER as i from range(10)',
    'blocks/each.sql':
      "select {{ item.i }} as i, range as n, range * 1.5 as x, 'trip number ' || range::VARCHAR as label from range(1000000)",
  };
  await withPipeline(
    pipeline,
    async ({ open, run }) => {
      const result = await runP(open, run);
      assert.equal(result.status, 'succeeded', JSON.stringify(result.blocks.find((b) => b.status === 'failed')?.error));
      const [row] = await open.workspace.readRows(`SELECT count(*) AS n FROM p.each`);
      assert.equal(Number(row?.n), 10_000_000);
    },
    { files, settings: { engine: { memory_limit: '100MB', concurrency: 2, threads: 2 } } },
  );
});
