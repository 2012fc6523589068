import { after, before, test } from 'node:test';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { blockError, createPgProject, runPipeline, startTestPostgres, type TestPostgres } from './helpers/postgres.ts';
import { waitUntil } from './helpers/wait-until.ts';
import type { TempProject } from './helpers/temp-project.ts';
import { loadProject } from '../main/project/load-project.ts';
import { loadPipeline } from '../main/project/load-pipeline.ts';
import { createDefaultRegistry } from '../main/blocks/index.ts';
import { checkPipeline } from '../main/preflight/check-pipeline.ts';
import { tableFromIPC } from 'apache-arrow';
import { openProject } from '../main/runtime/open-project.ts';
import { createApiHandlers, dispatch } from '../main/api/handlers.ts';

// SQL blocks with engine: postgres run inside the real (embedded) Postgres: issue #15, part 3.

let pgServer: TestPostgres;
before(async () => {
  pgServer = await startTestPostgres();
  await pgServer.query(`create schema if not exists ny_taxi;
    create table ny_taxi.trips as
      select (date '2021-01-01' + (i % 3))::date as day, (i % 5 + 1) as zone, (i % 7)::numeric + 0.5 as fare from generate_series(1, 300) as i`);
});
after(async () => {
  await pgServer.stop();
});

const DAILY_SQL = `-- trips and revenue per day, computed in Postgres
select day, count(*) as trips, sum(fare) as revenue
from trips
group by day
`;

/** Pipeline `p`: table source `trips` (ny_taxi.trips) → `daily` → `busiest`, all on Postgres. */
function writeWarehousePipeline(project: TempProject, opts: { dailySql?: string; dailyTests?: unknown[]; timeout?: number } = {}): void {
  project.writeFile('blocks/daily.sql', opts.dailySql ?? DAILY_SQL);
  project.writeFile('blocks/busiest.sql', 'select day, trips from daily order by trips desc limit 1\n');
  project.writePipeline('p', {
    engine: 'postgres',
    connection: 'pg',
    blocks: [
      { id: 'trips', type: 'source', kind: 'table', config: { table: 'ny_taxi.trips' } },
      {
        id: 'daily',
        type: 'transform',
        kind: 'sql',
        file: 'blocks/daily.sql',
        upstream: ['trips'],
        tests: opts.dailyTests ?? [],
        ...(opts.timeout ? { timeout: opts.timeout } : {}),
      },
      { id: 'busiest', type: 'transform', kind: 'sql', file: 'blocks/busiest.sql', upstream: ['daily'] },
    ],
  });
}

async function runTables(): Promise<string[]> {
  const rows = await pgServer.query<{ name: string }>(
    `select table_name as name from information_schema.tables where table_schema = 'p' and table_name like '\\_pw\\_run\\_%'`,
  );
  return rows.map((r) => r.name);
}

test('pushed-down blocks build their tables in Postgres, read upstream blocks by name, and log the EXPLAIN cost', async () => {
  const project = createPgProject(pgServer);
  try {
    writeWarehousePipeline(project, { dailyTests: [{ name: 'revenue_positive', sql: 'select * from daily where revenue <= 0' }] });
    const { result, events } = await runPipeline(project.dir);
    assert.equal(result.status, 'succeeded', blockError(result, 'daily') ?? blockError(result, 'busiest') ?? blockError(result, 'trips'));
    assert.equal(result.blocks.find((b) => b.id === 'trips')?.rows, 300);
    assert.equal(result.blocks.find((b) => b.id === 'daily')?.rows, 3);
    const daily = await pgServer.query<{ day: string; trips: string }>(`select day::text, trips from p.daily order by day`);
    assert.deepEqual(
      daily.map((r) => [r.day, Number(r.trips)]),
      [
        ['2021-01-01', 100],
        ['2021-01-02', 100],
        ['2021-01-03', 100],
      ],
    );
    const busiest = await pgServer.query(`select count(*)::int as n from p.busiest`);
    assert.equal(busiest[0]?.n, 1);
    const logs = events.flatMap((e) => (e.type === 'log.written' && e.blockId === 'daily' ? [e.message] : []));
    assert.ok(
      logs.some((m) => /^EXPLAIN: cost \d/.test(m)),
      logs.join('\n'),
    );
    // Rows in, as local blocks log them: the upstream tables' rows from Postgres (a fresh table is counted).
    assert.ok(logs.includes('300 rows in, 3 rows out'), logs.join('\n'));
    const busiestLogs = events.flatMap((e) => (e.type === 'log.written' && e.blockId === 'busiest' ? [e.message] : []));
    assert.ok(busiestLogs.includes('3 rows in, 1 row out'), busiestLogs.join('\n'));
    const succeeded = events.find((e) => e.type === 'block.succeeded' && e.blockId === 'daily');
    assert.deepEqual(succeeded?.type === 'block.succeeded' ? succeeded.tests?.map((t) => [t.name, t.passed]) : undefined, [
      ['revenue_positive', true],
    ]);
    assert.deepEqual(await runTables(), [], 'no run-scoped table is left behind');
  } finally {
    project.cleanup();
  }
});

test("Postgres's error about the SQL is reported at its line and column in the block's file", async () => {
  const project = createPgProject(pgServer);
  try {
    writeWarehousePipeline(project, {
      dailySql: 'select day,\n  count(*) as trips,\n  sum(no_such_column) as revenue\nfrom trips\ngroup by day\n',
    });
    const { result } = await runPipeline(project.dir);
    const daily = result.blocks.find((b) => b.id === 'daily');
    assert.equal(daily?.status, 'failed');
    assert.equal(daily?.error?.kind, 'user');
    assert.match(daily?.error?.message ?? '', /no_such_column/);
    assert.deepEqual(
      { file: daily?.error?.place?.file, line: daily?.error?.place?.line, column: daily?.error?.place?.column },
      { file: 'blocks/daily.sql', line: 3, column: 7 },
    );
  } finally {
    project.cleanup();
  }
});

test('a block whose test fails does not replace the published table', async () => {
  const project = createPgProject(pgServer);
  try {
    writeWarehousePipeline(project);
    assert.equal((await runPipeline(project.dir)).result.status, 'succeeded');
    writeWarehousePipeline(project, {
      dailySql: 'select day, count(*) * 0 as trips, sum(fare) as revenue from trips group by day\n',
      dailyTests: [{ name: 'has_trips', sql: 'select * from daily where trips = 0' }],
    });
    const { result } = await runPipeline(project.dir);
    assert.equal(result.blocks.find((b) => b.id === 'daily')?.status, 'failed');
    assert.match(blockError(result, 'daily') ?? '', /test has_trips failed/);
    const trips = await pgServer.query<{ n: string }>('select sum(trips)::text as n from p.daily');
    assert.equal(trips[0]?.n, '300', 'the published table still holds the first run');
    assert.deepEqual(await runTables(), []);
  } finally {
    project.cleanup();
  }
});

test('cancelling a run cancels the Postgres statement; the published table is unchanged', async () => {
  const project = createPgProject(pgServer);
  try {
    writeWarehousePipeline(project);
    assert.equal((await runPipeline(project.dir)).result.status, 'succeeded');
    writeWarehousePipeline(project, {
      dailySql: 'select day, count(*) as trips, sum(fare) as revenue from trips, pg_sleep(60) as s group by day\n',
    });
    const controller = new AbortController();
    const running = runPipeline(project.dir, { signal: controller.signal });
    await waitUntil(async () => (await sleepingQueries()) > 0, {
      what: 'the pushed-down query running in Postgres',
      timeoutMs: 30_000,
      intervalMs: 20,
    });
    controller.abort();
    const { result } = await running;
    assert.equal(result.blocks.find((b) => b.id === 'daily')?.status, 'cancelled');
    await waitUntil(async () => (await sleepingQueries()) === 0, {
      what: 'pg_cancel_backend to stop the query',
      timeoutMs: 10_000,
      intervalMs: 20,
    });
    const trips = await pgServer.query<{ n: string }>('select sum(trips)::text as n from p.daily');
    assert.equal(trips[0]?.n, '300');
    await waitUntil(async () => (await runTables()).length === 0, {
      what: 'the run-scoped table to be dropped',
      timeoutMs: 10_000,
      intervalMs: 20,
    });
  } finally {
    project.cleanup();
  }
});

test("the block timeout becomes Postgres's statement_timeout", async () => {
  const project = createPgProject(pgServer);
  try {
    writeWarehousePipeline(project, { dailySql: 'select day, count(*) as trips from trips, pg_sleep(30) as s group by day\n', timeout: 1 });
    const { result } = await runPipeline(project.dir);
    assert.equal(result.blocks.find((b) => b.id === 'daily')?.status, 'failed');
    await waitUntil(async () => (await sleepingQueries()) === 0, { what: 'the statement to stop', timeoutMs: 10_000, intervalMs: 20 });
  } finally {
    project.cleanup();
  }
});

async function sleepingQueries(): Promise<number> {
  const rows = await pgServer.query<{ n: number }>(
    `select count(*)::int as n from pg_stat_activity where application_name = 'pipewright' and query like '%pg_sleep%' and state = 'active'`,
  );
  return rows[0]?.n ?? 0;
}

test('pipewright check shows the EXPLAIN cost of each Postgres block, and bad SQL fails the check at its line', async () => {
  const project = createPgProject(pgServer);
  try {
    writeWarehousePipeline(project);
    const kinds = createDefaultRegistry();
    const check = async () => {
      const loaded = await loadProject(project.dir);
      return checkPipeline({ project: loaded, kinds, loadPipeline: (id) => loadPipeline(loaded, id, kinds) }, 'p');
    };
    const report = await check();
    const daily = report.blocks.find((b) => b.blockId === 'daily');
    assert.equal(daily?.items[0]?.name, 'explain');
    assert.match(daily?.items[0]?.detail ?? '', /^cost \d+\.\d\d, about \d+ rows$/);
    project.writeFile('blocks/daily.sql', 'select day,\n  count(nope) as trips\nfrom trips group by day\n');
    const bad = await check();
    assert.equal(bad.isOk, false);
    assert.match(bad.blocks.find((b) => b.blockId === 'daily')?.items[0]?.detail ?? '', /nope/);
  } finally {
    project.cleanup();
  }
});

test('preview windows, sort, filter and profile of a Postgres block are computed in Postgres', async () => {
  const project = createPgProject(pgServer);
  try {
    writeWarehousePipeline(project);
    project.writeFile('blocks/daily.sql', 'select day, zone, count(*) as trips, sum(fare) as revenue from trips group by day, zone\n');
    assert.equal((await runPipeline(project.dir)).result.status, 'succeeded');
    const open = await openProject(project.dir, { kinds: createDefaultRegistry() });
    const handlers = createApiHandlers(open, () => undefined);
    try {
      const window = {
        offset: 2,
        limit: 4,
        orderBy: [{ column: 'trips', descending: true }, { column: 'day' }, { column: 'zone' }],
        filter: "day <> date '2021-01-02'",
      };
      const before = await pgStatements();
      const preview = await dispatch(handlers, 'outputs.preview', { pipelineId: 'p', blockId: 'daily', window });
      assert.ok(preview.ok, JSON.stringify(preview));
      const result = preview.result as { totalRows: number; ipc: Uint8Array; columns: { name: string }[] };
      assert.equal(result.totalRows, 10, 'the filter ran in Postgres: 2 days × 5 zones');
      const rows = tableFromIPC(result.ipc)
        .toArray()
        .map((r) => r.toJSON() as Record<string, unknown>);
      const expected = await pgServer.query<{ day: string; zone: number }>(
        `select day::text, zone from p.daily where day <> date '2021-01-02' order by trips desc, day, zone limit 4 offset 2`,
      );
      assert.deepEqual(
        rows.map((r) => [r.day, r.zone]),
        expected.map((r) => [r.day, r.zone]),
      );
      assert.ok((await pgStatements()) > before, 'the window was read from Postgres');
      const profile = await dispatch(handlers, 'outputs.profile', { pipelineId: 'p', blockId: 'daily' });
      assert.ok(profile.ok, JSON.stringify(profile));
      const zone = (
        profile.result as { columns: { name: string; distinct: number; min: string; max: string; nulls: number }[] }
      ).columns.find((c) => c.name === 'zone');
      assert.deepEqual(
        { distinct: zone?.distinct, min: zone?.min, max: zone?.max, nulls: zone?.nulls },
        { distinct: 5, min: '1', max: '5', nulls: 0 },
      );
      const badFilter = await dispatch(handlers, 'outputs.preview', {
        pipelineId: 'p',
        blockId: 'daily',
        window: { offset: 0, limit: 5, filter: 'nope > 1' },
      });
      assert.equal(badFilter.ok, false);
      assert.match(!badFilter.ok ? badFilter.error.message : '', /nope/);
    } finally {
      await open.close();
    }
  } finally {
    project.cleanup();
  }
});

/** Statements Postgres has run so far (pg_stat_database counts committed transactions). */
async function pgStatements(): Promise<number> {
  const rows = await pgServer.query<{ n: string }>(`select xact_commit::text as n from pg_stat_database where datname = 'test'`);
  return Number(rows[0]?.n ?? 0);
}

test('{{ variables }} in a Postgres block render as in local SQL', async () => {
  const project = createPgProject(pgServer);
  try {
    writeWarehousePipeline(project, { dailySql: 'select day, count(*) as trips from trips where zone = {{ zone }} group by day\n' });
    const file = path.join(project.dir, 'pipelines/p/pipeline.yaml');
    writeFileSync(file, `variables:\n  zone: 2\n${readFileSync(file, 'utf8')}`);
    assert.equal((await runPipeline(project.dir)).result.status, 'succeeded');
    const rows = await pgServer.query<{ n: string }>('select sum(trips)::text as n from p.daily');
    assert.equal(rows[0]?.n, '60', 'zone 2 holds a fifth of the 300 trips');
  } finally {
    project.cleanup();
  }
});

test('rows in counts an analysed upstream table from reltuples, and is left out when an upstream is a view', async () => {
  await pgServer.query(`create table ny_taxi.analysed as select i from generate_series(1, 1000) as i; analyze ny_taxi.analysed;
    create or replace view ny_taxi.trips_view as select * from ny_taxi.trips`);
  const project = createPgProject(pgServer);
  try {
    project.writeFile('blocks/counted.sql', 'select count(*) as n from analysed\n');
    project.writeFile('blocks/daily.sql', DAILY_SQL);
    project.writePipeline('p', {
      engine: 'postgres',
      connection: 'pg',
      blocks: [
        { id: 'analysed', type: 'source', kind: 'table', config: { table: 'ny_taxi.analysed' } },
        { id: 'counted', type: 'transform', kind: 'sql', file: 'blocks/counted.sql', upstream: ['analysed'] },
        { id: 'trips', type: 'source', kind: 'table', config: { table: 'ny_taxi.trips_view' } },
        { id: 'daily', type: 'transform', kind: 'sql', file: 'blocks/daily.sql', upstream: ['trips'] },
      ],
    });
    const { result, events } = await runPipeline(project.dir);
    assert.equal(result.status, 'succeeded', blockError(result, 'counted') ?? blockError(result, 'daily'));
    const logsOf = (id: string) => events.flatMap((e) => (e.type === 'log.written' && e.blockId === id ? [e.message] : []));
    assert.ok(logsOf('counted').includes('1,000 rows in, 1 row out'), logsOf('counted').join('\n'));
    assert.ok(logsOf('daily').includes('3 rows out'), logsOf('daily').join('\n'));
    assert.ok(!logsOf('daily').some((m) => m.includes('rows in')), 'no rows in when an upstream is a view');
  } finally {
    project.cleanup();
  }
});
