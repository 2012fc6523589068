import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { openProject } from '../main/runtime/open-project.ts';
import { createApiHandlers, dispatch } from '../main/api/handlers.ts';
import type { BackfillProgressEvent } from '../main/api/backfill-handlers.ts';
import type { RunEvent } from '../main/model/run-events.ts';
import { createPgProject, startTestPostgres, type TestPostgres } from './helpers/postgres.ts';
import { runCli } from './helpers/run-cli.ts';
import type { TempProject } from './helpers/temp-project.ts';
import { waitUntil } from './helpers/wait-until.ts';

let pgServer: TestPostgres;
before(async () => {
  pgServer = await startTestPostgres();
});
after(async () => {
  await pgServer?.stop();
});

/** Pipeline `daily`: 50 rows per day appended to `schema.t`, and a check that fails after the append committed, until fixed. */
function failingBackfillProject(schema: string): TempProject {
  const project = createPgProject(pgServer);
  project.writeFile('blocks/src.sql', "select '{{ ds }}' as day, range as id from range(50)\n");
  // The export does not wait for this block: the intervals fail after their append committed.
  project.writeFile('blocks/check.sql', "select cast('x' as integer) as ok from src\n");
  project.writePipeline('daily', {
    blocks: [
      { id: 'src', type: 'source', kind: 'sql', file: 'blocks/src.sql' },
      { id: 'to_pg', type: 'export', kind: 'postgres', upstream: ['src'], config: { schema, table: 't', mode: 'append' } },
      { id: 'check', type: 'transform', kind: 'sql', file: 'blocks/check.sql', upstream: ['src'] },
    ],
  });
  return project;
}

test("retrying a backfill's failed intervals does not append again what their first runs appended", async () => {
  const project = failingBackfillProject('bf_api');
  const open = await openProject(project.dir);
  const progress: BackfillProgressEvent[] = [];
  const logs: string[] = [];
  const handlers = createApiHandlers(open, (name, payload) => {
    if (name === 'backfills.progress') progress.push(payload as BackfillProgressEvent);
    const event = payload as RunEvent;
    if (name === 'runs.event' && event.type === 'log.written') logs.push(event.message);
  });
  try {
    const started = await dispatch(handlers, 'backfills.start', {
      pipelineId: 'daily',
      from: '2024-03-01',
      to: '2024-03-02',
      every: 'day',
      concurrency: 1,
    });
    assert.ok(started.ok, JSON.stringify(started));
    const { backfillId } = started.result as { backfillId: string };
    await waitUntil(() => progress.some((p) => p.finished), { what: 'the backfill to finish', timeoutMs: 60_000 });
    assert.equal(progress.at(-1)?.failed, 2);
    assert.deepEqual(await pgServer.query('select day, count(*)::int as n from bf_api.t group by day order by day'), [
      { day: '2024-03-01', n: 50 },
      { day: '2024-03-02', n: 50 },
    ]);

    project.writeFile('blocks/check.sql', 'select 1 as ok from src\n');
    progress.length = 0;
    const retried = await dispatch(handlers, 'backfills.retryFailed', { pipelineId: 'daily', backfillId, concurrency: 1 });
    assert.ok(retried.ok, JSON.stringify(retried));
    await waitUntil(() => progress.some((p) => p.finished), { what: 'the backfill to finish', timeoutMs: 60_000 });
    assert.equal(progress.at(-1)?.failed, 0);
    assert.equal(logs.filter((m) => /already appended 50 rows from this block/.test(m)).length, 2);
    assert.deepEqual(await pgServer.query('select day, count(*)::int as n from bf_api.t group by day order by day'), [
      { day: '2024-03-01', n: 50 },
      { day: '2024-03-02', n: 50 },
    ]);
  } finally {
    await open.close();
    project.cleanup();
  }
});

test('pipewright backfill --retry-failed does not append again what the failed runs appended', async () => {
  const project = failingBackfillProject('bf_cli');
  const days = async () => pgServer.query('select day, count(*)::int as n from bf_cli.t group by day order by day');
  try {
    const first = await runCli([
      'backfill',
      'daily',
      '--from',
      '2024-03-01',
      '--to',
      '2024-03-02',
      '--every',
      'day',
      '--project',
      project.dir,
    ]);
    assert.equal(first.code, 1, first.stderr);
    const backfillId = /backfill (bf_\S+):/.exec(first.stderr)?.[1];
    assert.ok(backfillId, first.stderr);
    assert.deepEqual(await days(), [
      { day: '2024-03-01', n: 50 },
      { day: '2024-03-02', n: 50 },
    ]);
    project.writeFile('blocks/check.sql', 'select 1 as ok from src\n');
    const retried = await runCli([
      'backfill',
      'daily',
      '--from',
      '2024-03-01',
      '--to',
      '2024-03-02',
      '--every',
      'day',
      '--retry-failed',
      backfillId,
      '--project',
      project.dir,
    ]);
    assert.equal(retried.code, 0, retried.stderr);
    assert.deepEqual(await days(), [
      { day: '2024-03-01', n: 50 },
      { day: '2024-03-02', n: 50 },
    ]);
  } finally {
    project.cleanup();
  }
});
