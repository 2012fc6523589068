import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { blockError, createPgProject, runPipeline, startTestPostgres, writeExportPipeline, type TestPostgres } from './helpers/postgres.ts';
import { waitUntil } from './helpers/wait-until.ts';

let pgServer: TestPostgres;
before(async () => {
  pgServer = await startTestPostgres();
});
after(async () => {
  await pgServer.stop();
});

const BIG =
  "select range as id, 'row ' || range || case when range % 1000 = 0 then e'\\n\"quoted\", line' else '' end as label from range(1500000)";

/** The pids of Pipewright backends running COPY … FROM STDIN, once at least `count` of them run. */
async function waitForCopies(count: number, timeoutMs = 20_000): Promise<number[]> {
  const rows = await waitUntil(
    async () => {
      const active = await pgServer.query<{ pid: number }>(
        `select pid from pg_stat_activity where application_name = 'pipewright' and query ilike 'COPY %FROM STDIN%' and state = 'active' order by pid`,
      );
      return active.length >= count && active;
    },
    { what: `${count} COPYs at once`, timeoutMs, intervalMs: 5 },
  );
  return rows.map((r) => r.pid);
}

const stagingTables = async () => pgServer.query(`select relname from pg_class where relname like '_pw_stage_%'`);

test('a parallel replace loads every row over two COPY connections, quoted newlines included', async () => {
  const project = createPgProject(pgServer);
  try {
    writeExportPipeline(project, { sql: BIG, config: { schema: 'par', table: 't', copy_connections: 2 } });
    const running = runPipeline(project.dir);
    const pids = await waitForCopies(2);
    const { result } = await running;
    assert.equal(result.status, 'succeeded', blockError(result, 'to_pg'));
    assert.equal(pids.length, 2, 'two backends ran COPY at once');
    assert.deepEqual(
      await pgServer.query(`select count(*)::int as n, count(distinct id)::int as d, sum(id)::text as s,
      count(*) filter (where label like e'%\\n"quoted", line')::int as q from par.t`),
      [{ n: 1_500_000, d: 1_500_000, s: '1124999250000', q: 1500 }],
    );
    assert.deepEqual(await stagingTables(), []);
  } finally {
    project.cleanup();
  }
});

test('when one of the parallel COPY connections dies, the old table stays intact, no staging table remains, and a re-run succeeds', async () => {
  const project = createPgProject(pgServer);
  try {
    writeExportPipeline(project, { sql: 'select range as id from range(5)', config: { schema: 'par', table: 'one_dies' } });
    assert.equal((await runPipeline(project.dir)).result.status, 'succeeded');
    writeExportPipeline(project, { sql: BIG, config: { schema: 'par', table: 'one_dies', copy_connections: 2 } });
    const running = runPipeline(project.dir);
    const [victim] = await waitForCopies(2);
    await pgServer.query('select pg_terminate_backend($1)', [victim]);
    const { result } = await running;
    assert.equal(result.status, 'failed');
    assert.match(blockError(result, 'to_pg') ?? '', /lost the connection/);
    assert.deepEqual(await pgServer.query('select count(*)::int as n from par.one_dies'), [{ n: 5 }]);
    assert.deepEqual(await stagingTables(), [], 'the surviving connection dropped the staging table');
    assert.equal((await runPipeline(project.dir)).result.status, 'succeeded');
    assert.deepEqual(await pgServer.query('select count(*)::int as n from par.one_dies'), [{ n: 1_500_000 }]);
  } finally {
    project.cleanup();
  }
});

test("staging tables left by loads that died are dropped by the next load, of this target's and of other targets'", async () => {
  const project = createPgProject(pgServer);
  try {
    writeExportPipeline(project, { sql: 'select 1 as id', config: { schema: 'par', table: 'leftover' } });
    assert.equal((await runPipeline(project.dir)).result.status, 'succeeded');
    // Learn this target's staging-name prefix from a live load, then fake crash leftovers: one of this target, one of another.
    writeExportPipeline(project, { sql: BIG, config: { schema: 'par', table: 'leftover' } });
    const running = runPipeline(project.dir);
    await waitForCopies(2);
    const [{ relname }] = (await pgServer.query<{
      relname: string;
    }>(`select relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'par' and relname like '_pw_stage_%'`)) as [{ relname: string }];
    await running;
    const prefix = relname.slice(0, 23);
    await pgServer.query(`create table par."${prefix}deadbeef" (id int)`);
    await pgServer.query(`create table par."_pw_stage_000000000000_cafef00d" (id int)`);
    writeExportPipeline(project, { sql: 'select 2 as id', config: { schema: 'par', table: 'leftover' } });
    assert.equal((await runPipeline(project.dir)).result.status, 'succeeded');
    assert.deepEqual(
      await stagingTables(),
      [],
      'no live load holds either: both are leftovers (test/postgres-stage-cleanup.test.ts keeps a live one)',
    );
    assert.deepEqual(await pgServer.query('select id from par.leftover'), [{ id: 2 }]);
  } finally {
    await pgServer.query('drop table if exists par."_pw_stage_000000000000_cafef00d"');
    project.cleanup();
  }
});

test('copy_connections: 1 loads in one transaction on one connection', async () => {
  const project = createPgProject(pgServer);
  try {
    writeExportPipeline(project, { sql: BIG, config: { schema: 'par', table: 'single', copy_connections: 1 } });
    const running = runPipeline(project.dir);
    const pids = await waitForCopies(1);
    const again = await pgServer.query(
      `select count(*)::int as n from pg_stat_activity where application_name = 'pipewright' and query ilike 'COPY %FROM STDIN%'`,
    );
    const { result } = await running;
    assert.equal(result.status, 'succeeded', blockError(result, 'to_pg'));
    assert.equal(pids.length, 1);
    assert.deepEqual(again, [{ n: 1 }]);
    assert.deepEqual(await pgServer.query('select count(*)::int as n from par.single'), [{ n: 1_500_000 }]);
  } finally {
    project.cleanup();
  }
});
