import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { createPgProject, startTestPostgres, type TestPostgres } from './helpers/postgres.ts';
import { runCli } from './helpers/run-cli.ts';
import type { TempProject } from './helpers/temp-project.ts';
import { holdStagingLock } from '../main/postgres/stage-tables.ts';
import { KILL_AT_ENV } from '../main/model/kill-point.ts';

let pgServer: TestPostgres;
before(async () => {
  pgServer = await startTestPostgres();
});
after(async () => {
  await pgServer?.stop();
});

/** A project whose pipeline `pipelineId` exports 300 generated rows to `schema.t` in `mode`. */
function exportProject(pipelineId: string, schema: string, mode: string): TempProject {
  const project = createPgProject(pgServer);
  project.writeFile('blocks/src.sql', 'select range as id from range(300)\n');
  project.writePipeline(pipelineId, {
    blocks: [
      { id: 'src', type: 'source', kind: 'sql', file: 'blocks/src.sql' },
      { id: 'to_pg', type: 'export', kind: 'postgres', upstream: ['src'], config: { schema, table: 't', mode, copy_connections: 2 } },
    ],
  });
  return project;
}

async function stagingTables(): Promise<string[]> {
  const rows = await pgServer.query<{ name: string }>(
    `select n.nspname || '.' || c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where c.relname like '\\_pw\\_stage\\_%' and c.relkind = 'r' order by 1`,
  );
  return rows.map((r) => r.name);
}

test("a staging table left by a kill is dropped by the next load of any pipeline on the connection; a live load's is kept", async () => {
  const killedProject = exportProject('nightly', 'stage_a', 'replace');
  const otherProject = exportProject('hourly', 'stage_b', 'append');
  // A load in flight in another process: its session holds the staging table's lock, as replaceInParallel does.
  const live = new pg.Client({ ...pgServer.conn, database: 'test' });
  await live.connect();
  try {
    const killed = await runCli(['run', 'nightly', '--project', killedProject.dir], { env: { [KILL_AT_ENV]: 'postgres.replace.copied' } });
    assert.equal(killed.signal, 'SIGKILL', killed.stderr);
    const left = await stagingTables();
    assert.equal(left.length, 1, 'the kill left the filled staging table');
    assert.match(left[0]!, /^stage_a\._pw_stage_/);
    await live.query('create schema stage_live');
    await holdStagingLock(live, 'stage_live', '_pw_stage_live_load');
    await live.query('create table stage_live._pw_stage_live_load (id bigint)');

    const other = await runCli(['run', 'hourly', '--project', otherProject.dir]);
    assert.equal(other.code, 0, other.stderr);
    assert.match(other.stderr, new RegExp(`dropped 1 staging table left by interrupted loads: ${left[0]!.replace('.', '\\.')}`));
    assert.deepEqual(await stagingTables(), ['stage_live._pw_stage_live_load'], "the live load's staging table is kept");

    await live.end(); // that process ends (or dies): its lock goes with its session
    const again = await runCli(['run', 'hourly', '--project', otherProject.dir]);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(await stagingTables(), []);
  } finally {
    await live.end().catch(() => undefined); // already ended in the test's last step
    killedProject.cleanup();
    otherProject.cleanup();
  }
});
