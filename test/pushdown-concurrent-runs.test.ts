/**
 * Two overlapping runs of one warehouse pipeline: a downstream warehouse block reads its upstream's output of its own
 * run, not the table another run published meanwhile. Real (embedded) Postgres; the first run is held between its
 * two blocks by a gate block waiting on an advisory lock the test holds.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { createPgProject, type TestPostgres } from './helpers/postgres.ts';
import type { BigQueryFixture } from './helpers/bigquery.ts';
import { startTripWarehouses } from './helpers/trip-warehouses.ts';
import { createTempProject } from './helpers/temp-project.ts';
import { waitUntil } from './helpers/wait-until.ts';
import { openProject } from '../main/runtime/open-project.ts';
import type { RunEvent } from '../main/model/run-events.ts';

let pgServer: TestPostgres;
let bq: BigQueryFixture;
before(async () => {
  ({ pgServer, bq } = await startTripWarehouses());
});
after(async () => {
  await Promise.all([pgServer?.stop(), bq?.close()]);
});

const HELD = 7001;
const FREE = 7002;

async function runTables(): Promise<string[]> {
  const rows = await pgServer.query<{ name: string }>(
    `select relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'p' and relname like '\\_pw\\_run\\_%'`,
  );
  return rows.map((r) => r.name);
}

test("a downstream warehouse block reads its own run's upstream output while another run publishes the upstream table", async () => {
  const project = createPgProject(pgServer);
  // daily scales its counts by {{ factor }}; gate waits on the advisory lock {{ gate }}; total sums daily after the gate.
  project.writeFile('blocks/daily.sql', 'select day, count(*) * {{ factor }} as trips from trips group by day\n');
  project.writeFile('blocks/gate.sql', 'select pg_advisory_lock_shared({{ gate }})::text as passed\n');
  project.writeFile('blocks/total.sql', 'select sum(trips) as trips from daily\n');
  project.writePipeline('p', {
    engine: 'postgres',
    connection: 'pg',
    variables: { factor: 1, gate: FREE },
    blocks: [
      { id: 'trips', type: 'source', kind: 'table', config: { table: 'src.trips' } },
      { id: 'daily', type: 'transform', kind: 'sql', file: 'blocks/daily.sql', upstream: ['trips'] },
      { id: 'gate', type: 'transform', kind: 'sql', file: 'blocks/gate.sql', upstream: ['daily'] },
      { id: 'total', type: 'transform', kind: 'sql', file: 'blocks/total.sql', upstream: ['daily', 'gate'] },
    ],
  });
  const open = await openProject(project.dir);
  await pgServer.query(`select pg_advisory_lock(${HELD})`);
  try {
    const pipeline = await open.loadPipeline('p');
    const start = (variables: Record<string, unknown>) => {
      const logs: string[] = [];
      const result = open.run({ pipeline, scope: { kind: 'pipeline' }, trigger: { kind: 'test' }, variables }, (e: RunEvent) => {
        if (e.type === 'log.written') logs.push(`${e.blockId ?? '-'}: ${e.message}`);
      });
      return { result, logs };
    };
    // 1. The first run publishes daily (300 trips), then waits at its gate.
    const first = start({ factor: 1, gate: HELD });
    await waitUntil(
      async () => (await pgServer.query(`select 1 from pg_stat_activity where wait_event_type = 'Lock' and query like '%${HELD}%'`)).length,
      { what: "the first run's gate to wait on the lock" },
    );
    // 2. A second run publishes daily scaled by 1000 and finishes.
    const second = start({ factor: 1000, gate: FREE });
    const secondResult = await second.result;
    assert.equal(secondResult.status, 'succeeded', second.logs.join('\n'));
    assert.deepEqual(await pgServer.query('select trips::int from p.total'), [{ trips: 300_000 }]);
    // 3. The first run goes on: its total reads its own daily, not the one published since.
    await pgServer.query(`select pg_advisory_unlock(${HELD})`);
    const firstResult = await first.result;
    assert.equal(firstResult.status, 'succeeded', first.logs.join('\n'));
    assert.deepEqual(await pgServer.query('select trips::int from p.total'), [{ trips: 300 }], first.logs.join('\n'));
    assert.deepEqual(await runTables(), [], "each run's own copies are dropped when it ends");
  } finally {
    await pgServer.query('select pg_advisory_unlock_all()');
    await open.close();
    project.cleanup();
  }
});

test("BigQuery: a downstream block reads the copy its run kept of its upstream's table (a copy job), dropped when the run ends", async () => {
  const project = createTempProject({ default_connections: { bigquery: 'bq' } });
  project.writeFile(
    'connections.yaml',
    stringify({ bq: { type: 'bigquery', endpoint: bq.endpoint, project_id: 'test-project', credentials: 'none' } }),
  );
  project.writeFile('blocks/daily.sql', 'select day, count(*) as trips from trips group by day\n');
  project.writeFile('blocks/total.sql', 'select sum(trips) as trips from daily\n');
  project.writePipeline('p', {
    engine: 'bigquery',
    blocks: [
      { id: 'trips', type: 'source', kind: 'table', config: { table: 'test-project.src.trips' } },
      { id: 'daily', type: 'transform', kind: 'sql', file: 'blocks/daily.sql', upstream: ['trips'] },
      { id: 'total', type: 'transform', kind: 'sql', file: 'blocks/total.sql', upstream: ['daily'] },
    ],
  });
  const open = await openProject(project.dir);
  try {
    const pipeline = await open.loadPipeline('p');
    const logs: string[] = [];
    const dailyLogs: string[] = [];
    const result = await open.run({ pipeline, scope: { kind: 'pipeline' }, trigger: { kind: 'test' } }, (e: RunEvent) => {
      if (e.type === 'log.written' && e.blockId === 'total') logs.push(e.message);
      if (e.type === 'log.written' && e.blockId === 'daily') dailyLogs.push(e.message);
    });
    assert.equal(result.status, 'succeeded', logs.join('\n'));
    assert.ok(
      logs.some((m) => /^reads daily as this run built it: p\._pw_run_[0-9a-f]{10}_0_daily$/.test(m)),
      logs.join('\n'),
    );
    assert.ok(logs.includes('3 rows in, 1 row out'), logs.join('\n'));
    const [rows] = await bq.bigquery.query('SELECT trips FROM `test-project.p.total`');
    assert.deepEqual(rows, [{ trips: 300 }]);
    assert.ok(
      dailyLogs.some((m) => /^kept p\._pw_run_\w+_0_daily for this run's downstream blocks$/.test(m)),
      dailyLogs.join('\n'),
    );
    const [tables] = await bq.bigquery.dataset('p').getTables();
    assert.deepEqual(tables.map((t) => t.id).sort(), ['daily', 'total'], "the run's copy is dropped when it ends");
    // A run of daily alone keeps no copy: no block of that run reads it.
    const alone: string[] = [];
    const single = await open.run({ pipeline, scope: { kind: 'block', block: 'daily' }, trigger: { kind: 'test' } }, (e: RunEvent) => {
      if (e.type === 'log.written' && e.blockId === 'daily') alone.push(e.message);
    });
    assert.equal(single.status, 'succeeded', alone.join('\n'));
    assert.ok(!alone.some((m) => m.startsWith('kept ')), alone.join('\n'));
  } finally {
    await open.close();
    project.cleanup();
  }
});
