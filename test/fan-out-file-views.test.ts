import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { RunScope } from '../main/model/run-events.ts';
import { sqlBlock, withPipeline, type ProjectRun } from './helpers/run-project.ts';
import { linkDirs, outputViews } from './helpers/file-view-state.ts';

// Fan-outs (one shared output table per fan-out) beside file views (a file source read by one SQL block is a view
// over a private link to its file): main/data/fan-out-outputs.ts, main/data/file-views.ts.

/** `rows` trips of `month`: id, passengers (0 every fifth row), fare. */
function tripsCsv(month: number, rows: number): string {
  const lines = Array.from({ length: rows }, (_, i) => `${month * 1000 + i},${i % 5},${i}.5`);
  return ['id,passengers,fare', ...lines].join('\n') + '\n';
}

const COLUMNS = { id: 'BIGINT', passengers: 'BIGINT', fare: 'DOUBLE' };
const months = { id: 'months', type: 'source', kind: 'sql', file: 'blocks/months.sql', dynamic: true };
const MONTHS_SQL = 'select range::INTEGER as m from range(1, 4)';

async function run(ctx: ProjectRun, scope: RunScope = { kind: 'pipeline' }) {
  return ctx.run({ pipeline: await ctx.open.loadPipeline('p'), scope, trigger: { kind: 'test' } });
}

const rowsInOf = (ctx: ProjectRun, runId: string, prefix: string) =>
  (ctx.open.store.getRun(runId)?.blocks ?? []).filter((b) => b.blockId.startsWith(prefix)).map((b) => b.rowsIn);

test('a fanned-out file source parses each file in its child (its readers read the reduce, not the children): no views', async () => {
  await withPipeline(
    {
      blocks: [
        months,
        {
          id: 'load',
          type: 'source',
          kind: 'local_file',
          upstream: ['months'],
          reduce: true,
          config: { path: 'data/{{ item.m }}.csv', columns: COLUMNS },
        },
        sqlBlock('clean', ['load']),
      ],
    },
    async (ctx) => {
      const result = await run(ctx);
      assert.equal(result.status, 'succeeded', JSON.stringify(result.blocks));
      assert.deepEqual(await outputViews(ctx), []);
      assert.deepEqual(linkDirs(ctx), []);
      // A child previews its own rows, sorted; the reduce and the reader hold every month's.
      const child = await ctx.open.workspace.preview('p', 'load[1]', {
        offset: 0,
        limit: 2,
        orderBy: [{ column: 'id', descending: true }],
      });
      assert.equal(child.totalRows, 20);
      const [reduced] = await ctx.open.workspace.readRows('SELECT count(*) AS n FROM p.load');
      assert.equal(Number(reduced?.n), 10 + 20 + 30);
      const [clean] = await ctx.open.workspace.readRows('SELECT count(*) AS n, min(id) AS first FROM p.clean');
      assert.equal(Number(clean?.n), 8 + 16 + 24);
      assert.equal(Number(clean?.first), 1001);
    },
    {
      files: {
        'blocks/months.sql': MONTHS_SQL,
        'blocks/clean.sql': 'select * from load where passengers > 0',
        'data/1.csv': tripsCsv(1, 10),
        'data/2.csv': tripsCsv(2, 20),
        'data/3.csv': tripsCsv(3, 30),
      },
    },
  );
});

test('a fanned-out SQL reader keeps the source a table (parsed once, not once per child); children read a file view an earlier run left', async () => {
  const load = { id: 'load', type: 'source', kind: 'local_file', config: { path: 'data/trips.csv', columns: COLUMNS } };
  const files = {
    'blocks/months.sql': MONTHS_SQL,
    'blocks/each.sql': 'select {{ item.m }} as m, count(*) as trips from load where passengers = {{ item.m }}',
    'blocks/clean.sql': 'select * from load',
    'data/trips.csv': tripsCsv(0, 100),
  };
  await withPipeline(
    { blocks: [months, load, sqlBlock('each', ['months', 'load'], { reduce: true })] },
    async (ctx) => {
      const fannedOut = await run(ctx);
      assert.equal(fannedOut.status, 'succeeded', JSON.stringify(fannedOut.blocks));
      assert.deepEqual(await outputViews(ctx), [], 'read once per child: the source is parsed into a table');
      assert.deepEqual(rowsInOf(ctx, fannedOut.runId, 'each['), [100 + 3, 100 + 3, 100 + 3]);

      // One plain reader: the source becomes a view. The fan-out then runs alone over that stored view.
      ctx.temp.writePipeline('p', { blocks: [months, load, sqlBlock('clean', ['load'])] });
      assert.equal((await run(ctx)).status, 'succeeded');
      const [view = ''] = await outputViews(ctx);
      assert.ok(view.startsWith('p__load__'));
      // Rows only a parse would see (passengers 9, which no child selects): rows in must come from the view's record.
      const folder = path.join(ctx.open.project.stateDir, 'outputs', view);
      const [linked = ''] = readdirSync(folder);
      appendFileSync(path.join(folder, linked), '5001,9,1.0\n5002,9,1.0\n');
      ctx.temp.writePipeline('p', { blocks: [months, load, sqlBlock('each', ['months', 'load'], { reduce: true })] });
      const overView = await run(ctx, { kind: 'blocks', blocks: ['months', 'each'] });
      assert.equal(overView.status, 'succeeded', JSON.stringify(overView.blocks));
      // Rows in of every child: the view's recorded 100 (not the 102 a count would parse) plus the months.
      assert.deepEqual(rowsInOf(ctx, overView.runId, 'each['), [103, 103, 103]);
      const rows = await ctx.open.workspace.readRows('SELECT m, trips FROM p.each ORDER BY m');
      assert.deepEqual(
        rows.map((r) => [Number(r.m), Number(r.trips)]),
        [
          [1, 20],
          [2, 20],
          [3, 20],
        ],
      );
      const child = await ctx.open.workspace.preview('p', 'each[2]', { offset: 0, limit: 5 });
      assert.equal(child.totalRows, 1);
      assert.deepEqual(await outputViews(ctx), [view], 'the view the children read is kept');
    },
    { files },
  );
});
