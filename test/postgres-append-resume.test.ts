import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPgProject, startTestPostgres, type TestPostgres } from './helpers/postgres.ts';
import { runCli } from './helpers/run-cli.ts';
import type { TempProject } from './helpers/temp-project.ts';
import { openProject } from '../main/runtime/open-project.ts';
import { planResume } from '../main/api/retry-failed.ts';
import { KILL_AT_ENV } from '../main/model/kill-point.ts';

let pgServer: TestPostgres;
before(async () => {
  pgServer = await startTestPostgres();
});
after(async () => {
  await pgServer?.stop();
});

const ROWS = 500;

/** Pipeline `p`: a SQL source of ROWS rows appended to `schema.t`. */
function appendProject(schema: string): TempProject {
  const project = createPgProject(pgServer);
  project.writeFile('blocks/src.sql', `select range as id, 'row ' || range as label from range(${ROWS})\n`);
  project.writePipeline('p', {
    blocks: [
      { id: 'src', type: 'source', kind: 'sql', file: 'blocks/src.sql' },
      { id: 'to_pg', type: 'export', kind: 'postgres', upstream: ['src'], config: { schema, table: 't', mode: 'append' } },
    ],
  });
  return project;
}

/** Runs the CLI killed with SIGKILL just after the append's COPY committed; resolves to the killed run's id. */
async function runKilledAfterCommit(project: TempProject): Promise<string> {
  const killed = await runCli(['run', 'p', '--project', project.dir], { env: { [KILL_AT_ENV]: 'postgres.append.committed' } });
  assert.equal(killed.signal, 'SIGKILL', `the engine was to be killed after the commit:\n${killed.stderr}`);
  assert.match(killed.stderr, /kill point postgres\.append\.committed/);
  const runId = /run (\S+) of p:/.exec(killed.stderr)?.[1];
  assert.ok(runId, killed.stderr);
  return runId;
}

async function rowsIn(schema: string): Promise<number> {
  const [row] = await pgServer.query<{ n: number }>(`select count(*)::int as n from ${schema}.t`);
  return row?.n ?? -1;
}

test('--resume after a kill -9 just after the append committed does not append again; a new run does', async () => {
  const project = appendProject('resume_cli');
  try {
    const runId = await runKilledAfterCommit(project);
    assert.equal(await rowsIn('resume_cli'), ROWS, 'the killed run committed its rows');
    const resumed = await runCli(['run', 'p', '--project', project.dir, '--resume', runId, '--json']);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, new RegExp(`run ${runId} already appended ${ROWS} rows from this block`));
    assert.equal(await rowsIn('resume_cli'), ROWS, 'the resume found the load in the ledger and appended nothing');
    const fresh = await runCli(['run', 'p', '--project', project.dir]);
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.equal(await rowsIn('resume_cli'), 2 * ROWS, 'a new run of the pipeline is a new load');
  } finally {
    project.cleanup();
  }
});

test('a resume after a newer run replaced the upstream output (and appended it) appends nothing: neither output twice', async () => {
  const project = appendProject('resume_later');
  try {
    const runId = await runKilledAfterCommit(project);
    const newer = await runCli(['run', 'p', '--project', project.dir]);
    assert.equal(newer.code, 0, newer.stderr);
    assert.equal(await rowsIn('resume_later'), 2 * ROWS);
    const resumed = await runCli(['run', 'p', '--project', project.dir, '--resume', runId]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /it loaded output p__src__\S+; the upstream's latest is now p__src__\S+\): not appending again/);
    assert.equal(await rowsIn('resume_later'), 2 * ROWS, 'the resume reads the newer output, which its own run already appended');
  } finally {
    project.cleanup();
  }
});

test('"Retry failed blocks" of a retry that was itself cut short, after a kill just after the commit, appends nothing more', async () => {
  const project = appendProject('resume_retry');
  try {
    const runId = await runKilledAfterCommit(project);
    const open = await openProject(project.dir);
    try {
      // What runs.retryFailed does: plan the unfinished blocks, run them as a new run. This one is cancelled at once.
      const plan = await planResume(open, runId);
      assert.deepEqual(plan.scope, { kind: 'blocks', blocks: ['to_pg'], origin: runId });
      const cancelled = await open.run({ ...plan, trigger: { kind: 'test' }, signal: AbortSignal.abort() }, () => undefined);
      assert.equal(cancelled.status, 'cancelled');
      // Retrying the retry follows the chain back to the run that loaded.
      const chained = await planResume(open, cancelled.runId);
      assert.deepEqual(chained.scope, { kind: 'blocks', blocks: ['to_pg'], origin: runId });
      const retried = await open.run({ ...chained, trigger: { kind: 'test' } }, () => undefined);
      assert.equal(retried.status, 'succeeded');
      assert.equal(await rowsIn('resume_retry'), ROWS);
    } finally {
      await open.close();
    }
  } finally {
    project.cleanup();
  }
});

test('an append ledger of an earlier version (keyed by run alone) is widened in place and still stops a replay', async () => {
  const project = appendProject('ledger_upgrade');
  try {
    await pgServer.query('create schema ledger_upgrade');
    await pgServer.query(`create table ledger_upgrade._pw_loads (run_id text not null, block_id text not null, target_table text not null,
      row_count bigint not null, loaded_at timestamptz not null default now(), primary key (run_id, block_id, target_table))`);
    await pgServer.query(
      `insert into ledger_upgrade._pw_loads (run_id, block_id, target_table, row_count) values ('old-run', 'to_pg', 't', 3)`,
    );
    const fresh = await runCli(['run', 'p', '--project', project.dir]);
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.equal(await rowsIn('ledger_upgrade'), ROWS);
    const columns = await pgServer.query<{ name: string }>(
      `select attname as name from pg_attribute where attrelid = 'ledger_upgrade._pw_loads'::regclass and attnum > 0 order by attnum`,
    );
    assert.deepEqual(
      columns.map((c) => c.name),
      ['run_id', 'block_id', 'target_table', 'row_count', 'loaded_at', 'source_id', 'loaded_by_run'],
    );
    assert.equal((await pgServer.query('select 1 from ledger_upgrade._pw_loads')).length, 2, 'the old entry is kept');
  } finally {
    project.cleanup();
  }
});
