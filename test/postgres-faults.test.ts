import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  blockError,
  createPgProject,
  runPipeline,
  startTestPostgres,
  terminateCopyWhenSeen,
  waitForCopy,
  writeExportPipeline,
  type TestPostgres,
} from './helpers/postgres.ts';
import { waitUntil } from './helpers/wait-until.ts';

let pgServer: TestPostgres;
before(async () => {
  pgServer = await startTestPostgres();
});
after(async () => {
  await pgServer.stop();
});

// Enough rows that COPY runs long enough to be caught and killed.
const BIG = "select range as id, 'row number ' || range as label, range * 0.5 as half from range(1500000)";

test('a connection killed mid-COPY leaves the replaced table intact, and a re-run succeeds', async () => {
  const project = createPgProject(pgServer);
  try {
    writeExportPipeline(project, { sql: 'select range as id from range(3)', config: { schema: 'kill', table: 't' } });
    assert.equal((await runPipeline(project.dir)).result.status, 'succeeded');

    writeExportPipeline(project, { sql: BIG, config: { schema: 'kill', table: 't' } });
    const [{ result }] = await Promise.all([runPipeline(project.dir), terminateCopyWhenSeen(pgServer)]);
    assert.equal(result.status, 'failed');
    const error = result.blocks.find((b) => b.id === 'to_pg')?.error;
    assert.equal(error?.retryable, true, 'a dropped connection is worth a retry');
    assert.match(error?.message ?? '', /lost the connection/);
    assert.deepEqual(await pgServer.query('select count(*)::int as n from kill.t'), [{ n: 3 }]);
    assert.deepEqual(
      await pgServer.query(`select relname from pg_class where relname like '_pw_stage_%'`),
      [],
      'no staging table is left behind',
    );

    const again = await runPipeline(project.dir);
    assert.equal(again.result.status, 'succeeded', blockError(again.result, 'to_pg'));
    assert.deepEqual(await pgServer.query('select count(*)::int as n from kill.t'), [{ n: 1_500_000 }]);
  } finally {
    project.cleanup();
  }
});

test('an append whose first attempt is killed mid-COPY is retried without duplicating rows', async () => {
  const project = createPgProject(pgServer);
  try {
    writeExportPipeline(project, { sql: BIG, config: { schema: 'kill', table: 'appended', mode: 'append' }, retries: 2 });
    const [{ result, events }] = await Promise.all([runPipeline(project.dir), terminateCopyWhenSeen(pgServer)]);
    assert.equal(result.status, 'succeeded', blockError(result, 'to_pg'));
    assert.equal(events.filter((e) => e.type === 'block.retrying').length, 1);
    assert.deepEqual(await pgServer.query('select count(*)::int as n, count(distinct id)::int as d from kill.appended'), [
      { n: 1_500_000, d: 1_500_000 },
    ]);
  } finally {
    project.cleanup();
  }
});

test('cancelling a run mid-COPY stops promptly and leaves the replaced table as it was', async () => {
  const project = createPgProject(pgServer);
  try {
    writeExportPipeline(project, { sql: 'select range as id from range(4)', config: { schema: 'cancel', table: 't' } });
    assert.equal((await runPipeline(project.dir)).result.status, 'succeeded');
    writeExportPipeline(project, { sql: BIG, config: { schema: 'cancel', table: 't' } });
    const controller = new AbortController();
    const running = runPipeline(project.dir, { signal: controller.signal });
    await waitForCopy(pgServer);
    const cancelledAt = Date.now();
    controller.abort();
    const { result } = await running;
    assert.equal(result.status, 'cancelled');
    assert.ok(Date.now() - cancelledAt < 20_000, 'the run ends soon after the cancel');
    assert.deepEqual(await pgServer.query('select count(*)::int as n from cancel.t'), [{ n: 4 }]);
    // The cancelled attempt drops its staging table as it winds down, after the run has ended: give it a moment.
    const stagingLeft = async () => (await pgServer.query(`select relname from pg_class where relname like '_pw_stage_%'`)).length;
    await waitUntil(async () => (await stagingLeft()) === 0, { what: 'no staging table left behind', intervalMs: 50 });
    // The server notices the closed socket on its next read: give it a moment, not forever.
    const copiesLeft = async () =>
      (
        await pgServer.query(
          `select pid from pg_stat_activity where application_name = 'pipewright' and query ilike 'COPY %' and state = 'active'`,
        )
      ).length;
    await waitUntil(async () => (await copiesLeft()) === 0, { what: 'no COPY left running', intervalMs: 50 });
  } finally {
    project.cleanup();
  }
});

test('an append already recorded for the run and block is not appended again', async () => {
  // Two copies of one project replay the same run id and block, as a resumed run whose commit was not acknowledged would.
  const project = createPgProject(pgServer);
  const replay = createPgProject(pgServer);
  try {
    for (const p of [project, replay])
      writeExportPipeline(p, { sql: 'select range as id from range(7)', config: { schema: 'ledger', table: 't', mode: 'append' } });
    assert.equal((await runPipeline(project.dir, { runId: 'run-once' })).result.status, 'succeeded');
    const { result, events } = await runPipeline(replay.dir, { runId: 'run-once' });
    assert.equal(result.status, 'succeeded');
    assert.ok(events.some((e) => e.type === 'log.written' && /already appended/.test(e.message)));
    assert.deepEqual(await pgServer.query('select count(*)::int as n from ledger.t'), [{ n: 7 }]);
  } finally {
    project.cleanup();
    replay.cleanup();
  }
});

const PERMANENT_CASES: { name: string; overrides: () => Promise<Record<string, string>>; message: RegExp }[] = [
  {
    name: 'a wrong password',
    overrides: async () => ({ password: 'wrong' }),
    message: /authentication failed on pg .*check the user and password/,
  },
  {
    name: 'a missing privilege',
    overrides: async () => ({ user: 'reader', password: 'reader-pw' }),
    message: /permission denied on pg .*grant the privilege to reader/,
  },
];

for (const { name, overrides, message } of PERMANENT_CASES) {
  test(`${name} fails at once with an actionable message and no retries`, async () => {
    await pgServer.query(
      `do $$ begin if not exists (select from pg_roles where rolname = 'reader') then create role reader login password 'reader-pw'; end if; end $$`,
    );
    const project = createPgProject(pgServer);
    try {
      writeExportPipeline(project, { sql: 'select 1 as id', config: { schema: 'private_schema', table: 't' }, retries: 3 });
      const { result, events } = await runPipeline(project.dir, { overrides: { pg: await overrides() } });
      assert.equal(result.status, 'failed');
      assert.match(blockError(result, 'to_pg') ?? '', message);
      assert.equal(result.blocks.find((b) => b.id === 'to_pg')?.attempts, 1);
      assert.equal(events.filter((e) => e.type === 'block.retrying').length, 0);
    } finally {
      project.cleanup();
    }
  });
}
