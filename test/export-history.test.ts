import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import Database from 'better-sqlite3';
import { stringify } from 'yaml';
import { openProject, type OpenProject } from '../main/runtime/open-project.ts';
import { exportRunHistory, type HistoryDestination } from '../main/history-export/export-history.ts';
import { ParquetDestination } from '../main/history-export/parquet-destination.ts';
import { PostgresDestination } from '../main/history-export/postgres-destination.ts';
import { createTempProject, type TempProject } from './helpers/temp-project.ts';
import { createTestRegistry } from './helpers/test-kinds.ts';
import { PASSWORD_ENV, startTestPostgres, type TestPostgres } from './helpers/postgres.ts';
import { runCli } from './helpers/run-cli.ts';
import { quoteLiteral } from '../main/data/sql-names.ts';
import { FINISH_ORDER_STEP } from '../main/history/migrations.ts';
import { BigQueryDestination } from '../main/history-export/bigquery-destination.ts';
import { resolveConnection } from '../main/connections/resolve-connection.ts';
import { requireFamily } from '../main/connections/block-connection.ts';
import { startBigQueryFixture } from './helpers/bigquery.ts';

/** A project whose pipeline `p` logs a line full of CSV traps, so the export's quoting is exercised for real. */
function createProject(): TempProject {
  const temp = createTempProject({ name: 'audit demo' });
  temp.writePipeline('p', {
    blocks: [{ id: 'src', type: 'source', kind: 'test_rows', config: { rows: 3, fail_times: 1 }, retry: { retries: 1, delay: 0.01 } }],
  });
  return temp;
}

async function runTimes(open: OpenProject, times: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < times; i++) {
    const result = await open.run({ pipeline: await open.loadPipeline('p'), scope: { kind: 'pipeline' }, trigger: { kind: 'test' } });
    open.store.record({
      type: 'log.written',
      runId: result.runId,
      blockId: null,
      level: 'info',
      message: 'a "quoted", comma\nnewline line',
      at: Date.now(),
    });
    open.store.record({ type: 'log.written', runId: result.runId, blockId: 'src', level: 'debug', message: '', at: Date.now() });
    ids.push(result.runId);
  }
  return ids;
}

async function queryDuck<T>(sql: string): Promise<T[]> {
  const instance = await DuckDBInstance.create(':memory:');
  try {
    const conn = await instance.connect();
    const rows = (await conn.runAndReadAll(sql)).getRowObjectsJS() as T[];
    conn.closeSync();
    return rows;
  } finally {
    instance.closeSync();
  }
}

function exportTo(open: OpenProject, destination: HistoryDestination, tempDir: string) {
  return exportRunHistory(destination, {
    historyFile: path.join(open.project.stateDir, 'history.sqlite'),
    project: 'audit demo',
    tempDir,
    log: () => undefined,
  });
}

test('exports to Parquet incrementally: a second export writes only newer rows, a third writes nothing; DuckDB reads them back', async () => {
  const temp = createProject();
  const out = mkdtempSync(path.join(os.tmpdir(), 'pw-hist-'));
  const open = await openProject(temp.dir, { kinds: createTestRegistry() });
  try {
    const first = await runTimes(open, 2);
    const destination = new ParquetDestination(out, 'audit demo');
    const counts = (await exportTo(open, destination, temp.dir)).map((t) => [t.table, t.rows]);
    const firstLogs = open.store.getLogs(first[0] ?? '').length + open.store.getLogs(first[1] ?? '').length;
    assert.deepEqual(counts, [
      ['runs', 2],
      ['block_runs', 2],
      ['logs', firstLogs],
    ]);

    const second = await runTimes(open, 1);
    const again = (await exportTo(open, destination, temp.dir)).map((t) => [t.table, t.rows]);
    assert.deepEqual(again, [
      ['runs', 1],
      ['block_runs', 1],
      ['logs', open.store.getLogs(second[0] ?? '').length],
    ]);
    assert.deepEqual(
      (await exportTo(open, destination, temp.dir)).map((t) => t.rows),
      [0, 0, 0],
    );
    assert.equal(readdirSync(path.join(out, 'runs')).length, 2, 'one file per export that had rows');

    const runs = await queryDuck<{ run_id: string; project: string; status: string; finish_seq: bigint; started_at: Date }>(
      `SELECT * FROM read_parquet(${quoteLiteral(path.join(out, 'runs', '*.parquet'))}) ORDER BY finish_seq`,
    );
    assert.deepEqual(
      runs.map((r) => [r.run_id, r.project, r.status, Number(r.finish_seq)]),
      [...first, ...second].map((id, i) => [id, 'audit demo', 'succeeded', i + 1]),
    );
    assert.ok(runs[0]?.started_at instanceof Date && Math.abs(runs[0].started_at.getTime() - Date.now()) < 600_000);
    const blocks = await queryDuck<{ block_id: string; attempts: bigint; rows_out: bigint }>(
      `SELECT * FROM read_parquet(${quoteLiteral(path.join(out, 'block_runs', '*.parquet'))})`,
    );
    assert.deepEqual(
      blocks.map((b) => [b.block_id, Number(b.attempts), Number(b.rows_out)]),
      [
        ['src', 2, 3],
        ['src', 2, 3],
        ['src', 2, 3],
      ],
    );
    const logs = await queryDuck<{ message: string | null; block_id: string | null }>(
      `SELECT message, block_id FROM read_parquet(${quoteLiteral(path.join(out, 'logs', '*.parquet'))}) ORDER BY log_id`,
    );
    assert.ok(
      logs.some((l) => l.message === 'a "quoted", comma\nnewline line' && l.block_id === null),
      'quotes, commas and newlines survive; NULL stays NULL',
    );
    assert.ok(
      logs.some((l) => l.message === '' && l.block_id === 'src'),
      'an empty message stays an empty string',
    );
  } finally {
    await open.close();
    temp.cleanup();
    rmSync(out, { recursive: true, force: true });
  }
});

test('an export cut short after some tables continues where the destination stands, writing nothing twice', async () => {
  const temp = createProject();
  const out = mkdtempSync(path.join(os.tmpdir(), 'pw-hist-'));
  const open = await openProject(temp.dir, { kinds: createTestRegistry() });
  try {
    await runTimes(open, 2);
    const real = new ParquetDestination(out, 'audit demo');
    const crashing: HistoryDestination = {
      label: 'crashing',
      watermark: (t) => real.watermark(t),
      write: async (batch) => {
        if (batch.table.name === 'logs') throw new Error('killed mid-export');
        await real.write(batch);
      },
    };
    await assert.rejects(exportTo(open, crashing, temp.dir), /killed mid-export/);
    assert.deepEqual(
      (await exportTo(open, real, temp.dir)).map((t) => [t.table, t.rows > 0]),
      [
        ['runs', false],
        ['block_runs', false],
        ['logs', true],
      ],
    );
    const counted = await queryDuck<{ runs: bigint; distinct_runs: bigint }>(
      `SELECT count(*) AS runs, count(DISTINCT run_id) AS distinct_runs FROM read_parquet(${quoteLiteral(path.join(out, 'runs', '*.parquet'))})`,
    );
    assert.deepEqual(
      counted.map((c) => [Number(c.runs), Number(c.distinct_runs)]),
      [[2, 2]],
    );
  } finally {
    await open.close();
    temp.cleanup();
    rmSync(out, { recursive: true, force: true });
  }
});

test('an `export/run_history` block at the end of a pipeline exports the runs finished before it', async () => {
  const temp = createProject();
  temp.writePipeline('history', {
    blocks: [
      { id: 'tick', type: 'source', kind: 'test_rows', config: { rows: 1 } },
      { id: 'ship', type: 'export', kind: 'run_history', upstream: ['tick'], config: { to: 'parquet', path: 'exports/history' } },
    ],
  });
  const open = await openProject(temp.dir, { kinds: createTestRegistry() });
  try {
    const [earlier] = await runTimes(open, 1);
    const result = await open.run({
      pipeline: await open.loadPipeline('history'),
      scope: { kind: 'pipeline' },
      trigger: { kind: 'schedule', by: 'nightly' },
    });
    assert.equal(result.status, 'succeeded', JSON.stringify(result.blocks));
    const runs = await queryDuck<{ run_id: string }>(
      `SELECT run_id FROM read_parquet(${quoteLiteral(path.join(temp.dir, 'exports', 'history', 'runs', '*.parquet'))})`,
    );
    assert.deepEqual(
      runs.map((r) => r.run_id),
      [earlier],
    );
  } finally {
    await open.close();
    temp.cleanup();
  }
});

let pg: TestPostgres;
before(async () => {
  pg = await startTestPostgres();
});
after(async () => {
  await pg?.stop();
});

test('`pipewright export-history --to postgres` upserts into the schema through COPY; re-running exports only new rows', async () => {
  const temp = createProject();
  const { host, port, user } = pg.conn;
  temp.writeFile(
    'connections.yaml',
    stringify({ warehouse: { type: 'postgres', host, port, user, database: 'test', password: { env: PASSWORD_ENV } } }),
  );
  const open = await openProject(temp.dir, { kinds: createTestRegistry() });
  try {
    const ids = await runTimes(open, 2);
    const first = await runCli(['export-history', '--to', 'postgres', 'warehouse', '--schema', 'audit', '--project', temp.dir, '--json']);
    assert.equal(first.code, 0, first.stderr);
    const tables = (JSON.parse(first.stdout) as { tables: { table: string; rows: number }[] }).tables;
    assert.deepEqual(
      tables.slice(0, 2).map((t) => [t.table, t.rows]),
      [
        ['runs', 2],
        ['block_runs', 2],
      ],
    );
    const more = await runTimes(open, 1);
    const destination = await PostgresDestination.open({ ...pg.conn, name: 'warehouse' }, 'audit', 'audit demo');
    try {
      assert.deepEqual(
        (await exportTo(open, destination, temp.dir)).slice(0, 2).map((t) => t.rows),
        [1, 1],
        'the second export, in-process',
      );
    } finally {
      await destination.close();
    }
    const runs = await pg.query<{ run_id: string; project: string; started_at: Date; variables: unknown }>(
      'SELECT run_id, project, started_at, variables FROM audit.runs ORDER BY finish_seq',
    );
    assert.deepEqual(
      runs.map((r) => r.run_id),
      [...ids, ...more],
    );
    assert.ok(runs[0]?.started_at instanceof Date);
    assert.equal(typeof runs[0]?.variables, 'object', 'JSON columns are jsonb');
    const logs = await pg.query<{ n: string; distinct_ids: string; quoted: string }>(
      `SELECT count(*) AS n, count(DISTINCT log_id) AS distinct_ids, count(*) FILTER (WHERE message = 'a "quoted", comma' || chr(10) || 'newline line') AS quoted FROM audit.logs`,
    );
    assert.deepEqual(logs[0], { n: logs[0]?.distinct_ids, distinct_ids: logs[0]?.distinct_ids, quoted: '3' });
  } finally {
    await open.close();
    temp.cleanup();
  }
});

test("exports to BigQuery (the emulator) with load jobs; the dataset's own rows are the watermark", async () => {
  const bq = await startBigQueryFixture();
  const temp = createProject();
  temp.writeFile(
    'connections.yaml',
    stringify({ lake: { type: 'bigquery', endpoint: bq.endpoint, project_id: 'test-project', credentials: 'none' } }),
  );
  const open = await openProject(temp.dir, { kinds: createTestRegistry() });
  try {
    const ids = await runTimes(open, 2);
    const conn = requireFamily(await resolveConnection(open.project, 'lake'), 'bigquery', {});
    const destination = await BigQueryDestination.open(conn, 'audit', { dir: temp.dir, name: 'audit demo' });
    assert.deepEqual(
      (await exportTo(open, destination, temp.dir)).slice(0, 2).map((t) => t.rows),
      [2, 2],
    );
    const more = await runTimes(open, 1);
    assert.deepEqual(
      (await exportTo(open, destination, temp.dir)).slice(0, 2).map((t) => t.rows),
      [1, 1],
    );
    assert.deepEqual(
      (await exportTo(open, destination, temp.dir)).map((t) => t.rows),
      [0, 0, 0],
    );
    const [rows] = await bq.bigquery.query('SELECT run_id, status FROM `test-project.audit.runs` ORDER BY finish_seq');
    assert.deepEqual(
      (rows as { run_id: string }[]).map((r) => r.run_id),
      [...ids, ...more],
    );
    const [logs] = await bq.bigquery.query('SELECT count(*) AS n, count(DISTINCT log_id) AS d FROM `audit.logs`');
    const counted = (logs as { n: unknown; d: unknown }[])[0];
    assert.equal(Number(counted?.n), Number(counted?.d));
    assert.ok(Number(counted?.n) >= 9);
  } finally {
    await open.close();
    temp.cleanup();
    await bq.close();
  }
});

test('a failed BigQuery batch is loaded afresh by the next export, and so are tables dropped since the last one', async () => {
  const bq = await startBigQueryFixture();
  const temp = createProject();
  temp.writeFile(
    'connections.yaml',
    stringify({ lake: { type: 'bigquery', endpoint: bq.endpoint, project_id: 'test-project', credentials: 'none' } }),
  );
  const open = await openProject(temp.dir, { kinds: createTestRegistry() });
  try {
    await runTimes(open, 2);
    const conn = requireFamily(await resolveConnection(open.project, 'lake'), 'bigquery', {});
    const destination = await BigQueryDestination.open(conn, 'audit2', { dir: temp.dir, name: 'audit demo' });
    // The first batch's load job fails inside BigQuery: the export fails, and the next one must not follow that job.
    await bq.fault({ operation: 'jobs.upload', times: 1, action: { failJob: { reason: 'backendError', message: 'injected' } } });
    await assert.rejects(exportTo(open, destination, temp.dir), /injected/);
    assert.deepEqual(
      (await exportTo(open, destination, temp.dir)).slice(0, 2).map((t) => t.rows),
      [2, 2],
    );
    for (const table of ['runs', 'block_runs', 'logs']) await bq.bigquery.dataset('audit2').table(table).delete();
    assert.deepEqual(
      (await exportTo(open, destination, temp.dir)).slice(0, 2).map((t) => t.rows),
      [2, 2],
    );
    const [rows] = await bq.bigquery.query('SELECT count(*) AS n FROM `audit2.runs`');
    assert.equal(Number((rows as { n: unknown }[])[0]?.n), 2);
  } finally {
    await open.close();
    temp.cleanup();
    await bq.close();
  }
});

test('upgrading a history written before the finish order numbers its finished runs by when they ended', () => {
  const db = new Database(':memory:');
  db.exec(`CREATE TABLE runs (id TEXT PRIMARY KEY, status TEXT NOT NULL, started_at INTEGER NOT NULL, finished_at INTEGER) STRICT;
    INSERT INTO runs VALUES ('a', 'succeeded', 10, 50), ('b', 'failed', 20, 30), ('c', 'running', 25, NULL), ('d', 'interrupted', 5, 30);`);
  db.exec(FINISH_ORDER_STEP);
  assert.deepEqual(db.prepare('SELECT id, finish_seq FROM runs ORDER BY id').raw().all(), [
    ['a', 3],
    ['b', 1],
    ['c', null],
    ['d', 2],
  ]);
  db.prepare("UPDATE runs SET status = 'succeeded', finished_at = 60 WHERE id = 'c'").run();
  assert.deepEqual(db.prepare("SELECT finish_seq FROM runs WHERE id = 'c'").raw().get(), [4], 'the next run to finish continues the count');
  db.close();
});
