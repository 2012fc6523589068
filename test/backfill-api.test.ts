import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openProject } from '../main/runtime/open-project.ts';
import { createApiHandlers, dispatch } from '../main/api/handlers.ts';
import type { BackfillProgressEvent } from '../main/api/backfill-handlers.ts';
import type { RunEvent } from '../main/model/run-events.ts';
import { createTempProject } from './helpers/temp-project.ts';
import { createTestRegistry } from './helpers/test-kinds.ts';
import { waitUntil } from './helpers/wait-until.ts';

test('backfills.plan lists the intervals of a dry run and names the field of a reversed or bad range', async () => {
  const temp = createTempProject();
  temp.writePipeline('daily', { blocks: [{ id: 'src', type: 'source', kind: 'test_rows', config: { rows: 1 } }] });
  const open = await openProject(temp.dir, { kinds: createTestRegistry() });
  const handlers = createApiHandlers(open, () => undefined);
  try {
    const plan = await dispatch(handlers, 'backfills.plan', { pipelineId: 'daily', from: '2024-01-30', to: '2024-04-01', every: 'month' });
    assert.ok(plan.ok, JSON.stringify(plan));
    assert.deepEqual((plan.result as { intervals: unknown[] }).intervals, [
      { start: '2024-01-30', end: '2024-02-29' },
      { start: '2024-02-29', end: '2024-03-30' },
      { start: '2024-03-30', end: '2024-04-30' },
    ]);
    const reversed = await dispatch(handlers, 'backfills.plan', {
      pipelineId: 'daily',
      from: '2024-02-01',
      to: '2024-01-01',
      every: 'day',
    });
    assert.equal(reversed.ok, false);
    assert.equal(!reversed.ok && reversed.error.place?.path, 'to');
    assert.match(!reversed.ok ? reversed.error.message : '', /reversed: to 2024-01-01 is before from 2024-02-01/);
    const badDay = await dispatch(handlers, 'backfills.plan', { pipelineId: 'daily', from: '2024-02-30', to: '2024-03-01', every: 'day' });
    assert.equal(!badDay.ok && badDay.error.place?.path, 'from');
    const unknown = await dispatch(handlers, 'backfills.plan', { pipelineId: 'nope', from: '2024-01-01', to: '2024-01-02', every: 'day' });
    assert.equal(unknown.ok, false, 'an unknown pipeline is refused, not planned');
  } finally {
    await open.close();
    temp.cleanup();
  }
});

test('backfills.start emits run events and progress to done/total, and retryFailed re-runs only the failed interval with its variables', async () => {
  const temp = createTempProject();
  temp.writePipeline('daily', {
    variables: { fail_on: '' },
    blocks: [
      { id: 'src', type: 'source', kind: 'test_rows', config: { rows: 1, delay_ms: 50 } },
      { id: 'stamp', type: 'transform', kind: 'sql', file: 'blocks/stamp.sql', upstream: ['src'] },
    ],
  });
  // Fails (a CAST of 'x') only on the day named by fail_on.
  temp.writeFile(
    'blocks/stamp.sql',
    "select '{{ ds }}' as day, cast(case when '{{ ds }}' = '{{ fail_on }}' then 'x' else '1' end as integer) as ok from src",
  );
  const open = await openProject(temp.dir, { kinds: createTestRegistry() });
  const progress: BackfillProgressEvent[] = [];
  const runEvents: RunEvent[] = [];
  const handlers = createApiHandlers(open, (name, payload) => {
    if (name === 'backfills.progress') progress.push(payload as BackfillProgressEvent);
    if (name === 'runs.event') runEvents.push(payload as RunEvent);
  });
  try {
    const started = await dispatch(handlers, 'backfills.start', {
      pipelineId: 'daily',
      from: '2024-03-01',
      to: '2024-03-03',
      every: 'day',
      concurrency: 2,
      variables: { fail_on: '2024-03-02' },
    });
    assert.ok(started.ok, JSON.stringify(started));
    const { backfillId, total } = started.result as { backfillId: string; total: number };
    assert.equal(total, 3);
    assert.ok(
      runEvents.some((e) => e.type === 'run.started'),
      'resolves once a run started',
    );
    await waitUntil(() => progress.some((p) => p.backfillId === backfillId && p.finished), { what: `backfill ${backfillId} to finish` });
    const last = progress.filter((p) => p.backfillId === backfillId).at(-1);
    assert.deepEqual([last?.done, last?.total, last?.failed, last?.pipelineId], [3, 3, 1, 'daily']);
    assert.deepEqual(
      progress.filter((p) => p.backfillId === backfillId).map((p) => p.done),
      [0, 1, 2, 3],
    );
    const startedRuns = runEvents.filter((e): e is Extract<RunEvent, { type: 'run.started' }> => e.type === 'run.started');
    assert.deepEqual(
      startedRuns.map((e) => e.trigger),
      Array(3).fill({ kind: 'backfill', by: backfillId }),
    );
    assert.deepEqual(startedRuns.map((e) => e.variables.interval_start).sort(), ['2024-03-01', '2024-03-02', '2024-03-03']);

    progress.length = 0;
    runEvents.length = 0;
    const retried = await dispatch(handlers, 'backfills.retryFailed', { pipelineId: 'daily', backfillId });
    assert.ok(retried.ok, JSON.stringify(retried));
    assert.deepEqual(retried.result, { backfillId, total: 1 });
    await waitUntil(() => progress.some((p) => p.finished), { what: 'the backfill to finish' });
    const retryRuns = runEvents.filter((e): e is Extract<RunEvent, { type: 'run.started' }> => e.type === 'run.started');
    assert.deepEqual(
      retryRuns.map((e) => [e.variables.interval_start, e.variables.interval_end, e.variables.fail_on]),
      [['2024-03-02', '2024-03-03', '2024-03-02']],
    );
    assert.equal(progress.at(-1)?.failed, 1, 'the same variables fail the same day again');

    progress.length = 0;
    const badVariable = await dispatch(handlers, 'backfills.start', {
      pipelineId: 'daily',
      from: '2024-03-01',
      to: '2024-03-02',
      every: 'day',
      variables: { no_such_variable: '1' },
    });
    assert.equal(badVariable.ok, false, 'a usage error rejects the call before any run starts');
    assert.match(!badVariable.ok ? badVariable.error.message : '', /no_such_variable/);
    assert.equal(progress.filter((p) => p.error).length, 0, 'and is not also pushed as progress');

    const none = await dispatch(handlers, 'backfills.retryFailed', { pipelineId: 'daily', backfillId: 'bf_unknown' });
    assert.equal(!none.ok && none.error.place?.path, 'backfillId');
  } finally {
    await open.close();
    temp.cleanup();
  }
});
