/**
 * Run-scoped tables of a killed push-down run (built, never published) are dropped by the next run that builds in
 * the same schema or dataset; tables of runs in flight, of runs this history does not know and published tables are
 * kept. The real CLI is killed just after the build (PIPEWRIGHT_TEST_KILL_AT=pushdown.built); Postgres is the
 * embedded one, BigQuery the emulator read through the official client.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { createPgProject, type TestPostgres } from './helpers/postgres.ts';
import type { BigQueryFixture } from './helpers/bigquery.ts';
import { startTripWarehouses } from './helpers/trip-warehouses.ts';
import { createTempProject, type TempProject } from './helpers/temp-project.ts';
import { runCli } from './helpers/run-cli.ts';
import { waitUntil } from './helpers/wait-until.ts';
import { KILL_AT_ENV } from '../main/model/kill-point.ts';
import { openProject, type OpenProject } from '../main/runtime/open-project.ts';
import type { RunEvent } from '../main/model/run-events.ts';
import type { RunResult } from '../main/model/engine-types.ts';

let pgServer: TestPostgres;
let bq: BigQueryFixture;
before(async () => {
  ({ pgServer, bq } = await startTripWarehouses());
});
after(async () => {
  await Promise.all([pgServer?.stop(), bq?.close()]);
});

/** A foreign run's leftover: the run tag of a run no history here knows. */
const FOREIGN = '_pw_run_0123456789_1_foreign';

/** Pipeline `id`: table source `trips` → SQL block `block` publishing into schema/dataset `wh`, with `tests`. */
function writeSweepPipeline(project: TempProject, engine: 'postgres' | 'bigquery', id: string, block: string, tests: unknown[] = []): void {
  project.writeFile(`blocks/${block}.sql`, 'select day, count(*) as trips from trips group by day\n');
  const table = engine === 'postgres' ? 'src.trips' : 'test-project.src.trips';
  project.writePipeline(id, {
    engine,
    blocks: [
      { id: 'trips', type: 'source', kind: 'table', config: { table } },
      {
        id: block,
        type: 'transform',
        kind: 'sql',
        file: `blocks/${block}.sql`,
        upstream: ['trips'],
        config: engine === 'postgres' ? { schema: 'wh' } : { dataset: 'wh' },
        tests,
      },
    ],
  });
}

async function startRun(open: OpenProject, pipelineId: string): Promise<{ result: Promise<RunResult>; logs: string[] }> {
  const logs: string[] = [];
  const pipeline = await open.loadPipeline(pipelineId);
  const result = open.run({ pipeline, scope: { kind: 'pipeline' }, trigger: { kind: 'test' } }, (e: RunEvent) => {
    if (e.type === 'log.written') logs.push(e.message);
  });
  return { result, logs };
}

async function pgRunTables(): Promise<string[]> {
  const rows = await pgServer.query<{ name: string }>(
    `select relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'wh' and relname like '\\_pw\\_run\\_%'`,
  );
  return rows.map((r) => r.name).sort();
}

async function pgTables(): Promise<string[]> {
  const rows = await pgServer.query<{ name: string }>(`select tablename as name from pg_tables where schemaname = 'wh'`);
  return rows.map((r) => r.name).sort();
}

async function killedCliRun(project: TempProject, pipelineId: string): Promise<void> {
  const killed = await runCli(['run', pipelineId, '--project', project.dir], { env: { [KILL_AT_ENV]: 'pushdown.built' } });
  assert.equal(killed.signal, 'SIGKILL', killed.stderr);
  assert.match(killed.stderr, /kill point pushdown\.built/);
}

test("Postgres: the next run drops a killed run's run-scoped table; a run in flight, an unknown run and published tables keep theirs", async () => {
  const project = createPgProject(pgServer);
  // The in-flight run's test waits on an advisory lock this test holds, so it stays between build and publish.
  const waitForLock = 'select * from held where (select count(*) from (select pg_advisory_lock_shared(4242)) l) = 0';
  writeSweepPipeline(project, 'postgres', 'nightly', 'daily');
  writeSweepPipeline(project, 'postgres', 'held', 'held', [{ name: 'waits', sql: waitForLock }]);
  writeSweepPipeline(project, 'postgres', 'hourly', 'hourly');
  try {
    const first = await runCli(['run', 'nightly', '--project', project.dir]);
    assert.equal(first.code, 0, first.stderr);
    await killedCliRun(project, 'nightly');
    const [killedTable, ...others] = await pgRunTables();
    assert.match(killedTable ?? '', /^_pw_run_[0-9a-f]{10}_1_daily$/, 'the kill left the built table');
    assert.deepEqual(others, []);
    await pgServer.query(`create table wh.${FOREIGN} as select 1 as x`);
    await pgServer.query('select pg_advisory_lock(4242)');

    const open = await openProject(project.dir);
    try {
      const held = await startRun(open, 'held');
      await waitUntil(
        async () => (await pgServer.query(`select 1 from pg_stat_activity where wait_event_type = 'Lock' and query like '%4242%'`)).length,
        { what: "the held run's test to wait on the lock" },
      );
      const heldTable = (await pgRunTables()).find((t) => t.endsWith('_held'));
      assert.ok(heldTable, 'the held run built its run-scoped table');

      assert.ok(
        held.logs.some((m) => m.startsWith(`dropped 1 run-scoped table left by earlier runs: wh.${killedTable} (run r`)),
        held.logs.join('\n'),
      );
      // A second run sweeps the same schema while the held run is between build and publish.
      const hourly = await startRun(open, 'hourly');
      assert.equal((await hourly.result).status, 'succeeded');
      assert.ok(!hourly.logs.some((m) => m.startsWith('dropped')), hourly.logs.join('\n'));
      assert.deepEqual(await pgRunTables(), [heldTable, FOREIGN].sort(), "the in-flight run's and the unknown run's tables are kept");
      assert.deepEqual(await pgTables(), ['daily', 'hourly', heldTable, FOREIGN].sort(), 'published tables are kept');

      await pgServer.query('select pg_advisory_unlock(4242)');
      assert.equal((await held.result).status, 'succeeded');
      assert.deepEqual(await pgRunTables(), [FOREIGN]);
    } finally {
      await pgServer.query('select pg_advisory_unlock_all()');
      await open.close();
    }
  } finally {
    project.cleanup();
  }
});

async function bqTables(): Promise<string[]> {
  const [tables] = await bq.bigquery.dataset('wh').getTables();
  return tables.map((t) => t.id ?? '').sort();
}

test("BigQuery: the next run drops a killed run's run-scoped table; an unknown run's and published tables are kept", async () => {
  const project = createTempProject({ default_connections: { bigquery: 'bq' } });
  project.writeFile(
    'connections.yaml',
    stringify({ bq: { type: 'bigquery', endpoint: bq.endpoint, project_id: 'test-project', credentials: 'none' } }),
  );
  writeSweepPipeline(project, 'bigquery', 'nightly', 'daily');
  writeSweepPipeline(project, 'bigquery', 'hourly', 'hourly');
  try {
    const first = await runCli(['run', 'nightly', '--project', project.dir]);
    assert.equal(first.code, 0, first.stderr);
    await killedCliRun(project, 'nightly');
    const killedTable = (await bqTables()).find((t) => /^_pw_run_[0-9a-f]{10}_1_daily$/.test(t));
    assert.ok(killedTable, `the kill left the built table: ${(await bqTables()).join(', ')}`);
    await bq.bigquery.query(`CREATE TABLE \`test-project.wh.${FOREIGN}\` AS SELECT 1 AS x`);

    const open = await openProject(project.dir);
    try {
      const hourly = await startRun(open, 'hourly');
      assert.equal((await hourly.result).status, 'succeeded');
      assert.ok(
        hourly.logs.some((m) => m.startsWith(`dropped 1 run-scoped table left by earlier runs: wh.${killedTable} (run r`)),
        hourly.logs.join('\n'),
      );
    } finally {
      await open.close();
    }
    assert.deepEqual(await bqTables(), ['daily', 'hourly', FOREIGN].sort());
  } finally {
    project.cleanup();
  }
});
