import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { DuckDBInstance } from '@duckdb/node-api';
import { openProject } from '../main/runtime/open-project.ts';
import type { RunEvent } from '../main/model/run-events.ts';
import { countSimpleCsvRows, type SniffedCsv } from '../main/blocks/csv-pinned-read.ts';
import { startFileServer, type FileServer } from './helpers/http-server.ts';
import { sqlBlock, withPipeline, type ProjectRun } from './helpers/run-project.ts';
import { linkDirs, outputViews } from './helpers/file-view-state.ts';
import { createTempProject } from './helpers/temp-project.ts';
import { createTestRegistry } from './helpers/test-kinds.ts';

// A file source read by one SQL block publishes a view over a private link to its file (main/data/file-views.ts).

let server: FileServer;
before(async () => (server = await startFileServer()));
after(async () => server.close());

/** `rows` trips: id, passengers (0 every fifth row), fare. */
function tripsCsv(rows: number, fareOffset = 0): string {
  const lines = Array.from({ length: rows }, (_, i) => `${i},${i % 5},${(i + fareOffset).toFixed(1)}`);
  return ['id,passengers,fare', ...lines].join('\n') + '\n';
}

const load = (url: string, extra: Record<string, unknown> = {}) => ({
  id: 'load',
  type: 'source',
  kind: 'http_file',
  config: { url, format: 'csv', columns: { id: 'BIGINT', passengers: 'BIGINT', fare: 'DOUBLE' } },
  ...extra,
});
const CLEAN_SQL = 'select * from load where passengers > 0';

async function runAll(ctx: ProjectRun) {
  return ctx.run({ pipeline: await ctx.open.loadPipeline('p'), scope: { kind: 'pipeline' }, trigger: { kind: 'test' } });
}

const succeeded = (events: RunEvent[], blockId: string) =>
  events.find((e): e is Extract<RunEvent, { type: 'block.succeeded' }> => e.type === 'block.succeeded' && e.blockId === blockId);

test('a download read by one SQL block is a view: exact rows, previews (sorted too) and the reader count them without a table', async () => {
  server.serve('/views/a.csv', Buffer.from(tripsCsv(1000)));
  const url = `${server.url}/views/a.csv`;
  await withPipeline(
    { blocks: [load(url), sqlBlock('clean', ['load'])] },
    async (ctx) => {
      const result = await runAll(ctx);
      assert.equal(result.status, 'succeeded');
      assert.equal(succeeded(ctx.events, 'load')?.rowsOut, 1000);
      assert.equal(succeeded(ctx.events, 'clean')?.rowsIn, 1000);
      assert.equal(succeeded(ctx.events, 'clean')?.rowsOut, 800);
      const views = await outputViews(ctx);
      assert.equal(views.length, 1);
      assert.match(views[0] ?? '', /^p__load__/);
      assert.deepEqual(linkDirs(ctx), views);

      const preview = await ctx.open.workspace.preview('p', 'load', {
        offset: 0,
        limit: 3,
        orderBy: [{ column: 'fare', descending: true }],
      });
      assert.equal(preview.totalRows, 1000);
      assert.deepEqual(
        tableFromIPC(preview.ipc)
          .toArray()
          .map((r) => Number(r.id)),
        [999, 998, 997],
      );
      const filtered = await ctx.open.workspace.preview('p', 'load', { offset: 0, limit: 1, filter: 'passengers = 0' });
      assert.equal(filtered.totalRows, 200);
    },
    { files: { 'blocks/clean.sql': CLEAN_SQL } },
  );
});

test('a new download at the same URL leaves the earlier output as it was; retention drops an output with its link', async () => {
  server.serve('/views/b.csv', Buffer.from(tripsCsv(500)));
  const url = `${server.url}/views/b.csv`;
  await withPipeline(
    { blocks: [load(url), sqlBlock('clean', ['load'])] },
    async (ctx) => {
      const first = await runAll(ctx);
      assert.equal(first.status, 'succeeded');
      // The server's file changes: the next run downloads it again, replacing the cached body.
      server.serve('/views/b.csv', Buffer.from(tripsCsv(700, 1000)));
      const second = await runAll(ctx);
      assert.equal(second.status, 'succeeded');
      assert.equal(
        succeeded(
          ctx.events.filter((e) => e.runId === second.runId),
          'load',
        )?.rowsOut,
        700,
      );
      // Two outputs kept: the first run's still reads its own 500 rows (a filter makes DuckDB parse the file).
      const old = await ctx.open.workspace.preview('p', 'load', { offset: 0, limit: 1, filter: 'fare < 1000' }, first.runId);
      assert.equal(old.totalRows, 500);
      assert.equal(linkDirs(ctx).length, 2);

      const third = await runAll(ctx);
      assert.equal(third.status, 'succeeded');
      const views = await outputViews(ctx);
      assert.equal(views.length, 2, 'the first run output is past outputs_keep_last');
      assert.deepEqual(linkDirs(ctx), views, 'its link folder went with it');

      // Retention by size sees a view's linked bytes, and pruning one removes its link folder too.
      const dropped = await ctx.open.workspace.pruneOutputs((outputs) => outputs.filter((o) => o.physical === views[0]));
      assert.equal(dropped.length, 1);
      assert.ok((dropped[0]?.bytes ?? 0) >= Buffer.byteLength(tripsCsv(700, 1000)), `bytes ${dropped[0]?.bytes}`);
      assert.deepEqual(await outputViews(ctx), views.slice(1));
      assert.deepEqual(linkDirs(ctx), views.slice(1));
    },
    { files: { 'blocks/clean.sql': CLEAN_SQL }, settings: { retention: { outputs_keep_last: 2 } } },
  );
});

test('a local file rewritten in place (as pandas to_csv does) leaves the stored output as it was: the view reads a copy', async () => {
  await withPipeline(
    {
      blocks: [
        {
          id: 'load',
          type: 'source',
          kind: 'local_file',
          config: { path: 'data/trips.csv', columns: { id: 'BIGINT', passengers: 'BIGINT', fare: 'DOUBLE' } },
        },
        sqlBlock('clean', ['load']),
      ],
    },
    async (ctx) => {
      assert.equal((await runAll(ctx)).status, 'succeeded');
      assert.equal((await outputViews(ctx)).length, 1);
      writeFileSync(path.join(ctx.temp.dir, 'data', 'trips.csv'), tripsCsv(50)); // same inode, new bytes
      const stored = await ctx.open.workspace.preview('p', 'load', { offset: 0, limit: 1, filter: 'id >= 0' });
      assert.equal(stored.totalRows, 400);
    },
    { files: { 'blocks/clean.sql': CLEAN_SQL, 'data/trips.csv': tripsCsv(400) } },
  );
});

test('a bad value deep in the file fails the reading block, naming the source, the URL and the line; earlier outputs stay', async () => {
  server.serve('/views/c.csv', Buffer.from(tripsCsv(300)));
  const url = `${server.url}/views/c.csv`;
  await withPipeline(
    { blocks: [load(url), sqlBlock('clean', ['load'])] },
    async (ctx) => {
      assert.equal((await runAll(ctx)).status, 'succeeded');
      const lines = tripsCsv(3000).split('\n');
      lines[2500] = '2499,ten,1.0';
      server.serve('/views/c.csv', Buffer.from(lines.join('\n')));
      const failed = await runAll(ctx);
      assert.equal(failed.status, 'failed');
      const error = ctx.events.find((e) => e.type === 'block.failed' && e.runId === failed.runId);
      assert.ok(error?.type === 'block.failed');
      assert.equal(error.blockId, 'clean');
      assert.match(
        error.error.message,
        /^load \(http:\/\/127\.0\.0\.1:\d+\/views\/c\.csv\), line 2501 \(passengers\): could not convert "ten" to BIGINT/,
      );
      assert.equal(error.error.place?.line, 2501);
      // The reading block's earlier output is still its latest, and readable.
      const clean = await ctx.open.workspace.preview('p', 'clean', { offset: 0, limit: 1 });
      assert.equal(clean.totalRows, 240);
    },
    { files: { 'blocks/clean.sql': CLEAN_SQL } },
  );
});

test('a source with two readers, or with a check, stays a table', async () => {
  server.serve('/views/d.csv', Buffer.from(tripsCsv(100)));
  const url = `${server.url}/views/d.csv`;
  const files = { 'blocks/clean.sql': CLEAN_SQL, 'blocks/other.sql': 'select count(*) as n from load' };
  await withPipeline(
    { blocks: [load(url), sqlBlock('clean', ['load']), sqlBlock('other', ['load'])] },
    async (ctx) => {
      assert.equal((await runAll(ctx)).status, 'succeeded');
      assert.deepEqual(await outputViews(ctx), []);
    },
    { files },
  );
  await withPipeline(
    { blocks: [load(url, { checks: [{ not_null: 'id' }] }), sqlBlock('clean', ['load'])] },
    async (ctx) => {
      assert.equal((await runAll(ctx)).status, 'succeeded');
      assert.deepEqual(await outputViews(ctx), []);
    },
    { files },
  );
});

test('opening a project removes file views no block published and link folders no output reads (a run killed midway)', async () => {
  const temp = createTempProject();
  try {
    temp.writePipeline('p', { blocks: [load(`${server.url}/views/none.csv`)] });
    await (await openProject(temp.dir, { kinds: createTestRegistry() })).close(); // creates the workspace
    // A run killed after creating its view, before publishing it; another killed after linking its file.
    const outputs = path.join(temp.dir, '.pipewright', 'outputs');
    const unpublished = 'p__load__r20260101T000000_abcdef_1';
    const orphan = path.join(outputs, 'p__load__r20260101T000001_abcdef_1');
    for (const folder of [path.join(outputs, unpublished), orphan]) {
      mkdirSync(folder, { recursive: true });
      writeFileSync(path.join(folder, '0-a.csv'), 'id\n1\n');
    }
    const instance = await DuckDBInstance.create(path.join(temp.dir, '.pipewright', 'workspace.duckdb'));
    const conn = await instance.connect();
    await conn.run(`CREATE VIEW _pw_out."${unpublished}" AS SELECT * FROM read_csv('${path.join(outputs, unpublished, '0-a.csv')}')`);
    conn.closeSync();
    instance.closeSync();

    const open = await openProject(temp.dir, { kinds: createTestRegistry() });
    try {
      const views = await open.workspace.readRows("SELECT view_name FROM duckdb_views() WHERE schema_name = '_pw_out'");
      assert.deepEqual(views, []);
    } finally {
      await open.close();
    }
    assert.deepEqual(readdirSync(outputs), []);
  } finally {
    temp.cleanup();
  }
});

test('after the project folder moves, its file views read their files in the new place', async () => {
  server.serve('/views/e.csv', Buffer.from(tripsCsv(60)));
  const temp = createTempProject();
  const moved = `${temp.dir}-moved`;
  try {
    temp.writePipeline('p', { blocks: [load(`${server.url}/views/e.csv`), sqlBlock('clean', ['load'])] });
    temp.writeFile('blocks/clean.sql', CLEAN_SQL);
    const first = await openProject(temp.dir, { kinds: createTestRegistry() });
    const result = await first.run({ pipeline: await first.loadPipeline('p'), scope: { kind: 'pipeline' }, trigger: { kind: 'test' } });
    assert.equal(result.status, 'succeeded');
    await first.close();
    renameSync(temp.dir, moved);
    const again = await openProject(moved, { kinds: createTestRegistry() });
    try {
      const preview = await again.workspace.preview('p', 'load', { offset: 0, limit: 1, filter: 'id >= 0' });
      assert.equal(preview.totalRows, 60);
      // A single-block re-run of the reader parses the moved link.
      const rerun = await again.run({
        pipeline: await again.loadPipeline('p'),
        scope: { kind: 'block', block: 'clean' },
        trigger: { kind: 'test' },
      });
      assert.equal(rerun.status, 'succeeded');
    } finally {
      await again.close();
    }
  } finally {
    rmSync(moved, { recursive: true, force: true });
    temp.cleanup();
  }
});

test('counting rows from line ends agrees with DuckDB, and declines files it cannot count that way', async () => {
  const temp = createTempProject();
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    const simple: SniffedCsv = {
      delimiter: ',',
      quote: '',
      escape: '',
      newLine: '\\n',
      comment: '',
      skipRows: 0,
      hasHeader: true,
      columns: [],
    };
    const cases: [string, string, SniffedCsv, boolean][] = [
      ['trailing.csv', 'a,b\n1,2\n3,4\n', simple, true],
      ['no-last-newline.csv', 'a,b\n1,2\n3,4', simple, true],
      ['no-header.csv', '1,2\n3,4\n5,6\n', { ...simple, hasHeader: false }, true],
      ['blank-line.csv', 'a,b\n1,2\n\n3,4\n', simple, false],
      ['quoted.csv', 'a,b\n"1\n2",3\n', { ...simple, quote: '"' }, false],
      ['crlf.csv', 'a,b\r\n1,2\r\n', { ...simple, newLine: '\\r\\n' }, false],
    ];
    for (const [name, text, sniffed, isCountable] of cases) {
      const file = path.join(temp.dir, name);
      writeFileSync(file, text);
      const counted = await countSimpleCsvRows(file, sniffed);
      if (!isCountable) {
        assert.equal(counted, undefined, name);
        continue;
      }
      const reader = await conn.runAndReadAll(`SELECT count(*)::INTEGER FROM read_csv('${file}', header = ${sniffed.hasHeader})`);
      assert.equal(counted, reader.getRowsJS()[0]?.[0], name);
    }
  } finally {
    conn.closeSync();
    instance.closeSync();
    temp.cleanup();
  }
});
