import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openProject } from '../main/runtime/open-project.ts';
import { RunLimitReachedError } from '../main/runtime/run-limit.ts';
import { CancelledError } from '../main/model/errors.ts';
import { createTempProject } from './helpers/temp-project.ts';
import { createTestRegistry } from './helpers/test-kinds.ts';
import { createApiHandlers, dispatch, type RunQueueEvent } from '../main/api/handlers.ts';
import { waitUntil } from './helpers/wait-until.ts';

async function withLimitedPipeline(
  onLimit: 'queue' | 'skip',
  body: (open: Awaited<ReturnType<typeof openProject>>) => Promise<void>,
): Promise<void> {
  const temp = createTempProject();
  temp.writePipeline('p', {
    max_concurrent_runs: 1,
    on_limit: onLimit,
    blocks: [{ id: 'src', type: 'source', kind: 'test_rows', config: { rows: 1, delay_ms: 300 } }],
  });
  const open = await openProject(temp.dir, { kinds: createTestRegistry() });
  try {
    await body(open);
  } finally {
    await open.close();
    temp.cleanup();
  }
}

const start = (
  open: Awaited<ReturnType<typeof openProject>>,
  pipeline: Awaited<ReturnType<typeof open.loadPipeline>>,
  signal?: AbortSignal,
) => open.run({ pipeline, scope: { kind: 'pipeline' }, trigger: { kind: 'test' }, ...(signal ? { signal } : {}) });

test('max_concurrent_runs with on_limit: queue starts the next run when the running one finishes', async () => {
  await withLimitedPipeline('queue', async (open) => {
    const pipeline = await open.loadPipeline('p');
    const first = start(open, pipeline);
    const second = start(open, pipeline);
    assert.equal(open.activeRuns('p'), 2, 'one running, one queued');
    const [a, b] = await Promise.all([first, second]);
    assert.equal(a.status, 'succeeded');
    assert.equal(b.status, 'succeeded');
    const runA = open.store.getRun(a.runId);
    const runB = open.store.getRun(b.runId);
    assert.ok(runA?.finishedAt && runB && runB.startedAt >= runA.finishedAt, 'the second started after the first finished');
    assert.equal(open.activeRuns('p'), 0);
  });
});

test('max_concurrent_runs with on_limit: skip refuses a run beyond the limit and records nothing for it', async () => {
  await withLimitedPipeline('skip', async (open) => {
    const pipeline = await open.loadPipeline('p');
    const first = start(open, pipeline);
    await assert.rejects(
      start(open, pipeline),
      (e: unknown) => e instanceof RunLimitReachedError && /max_concurrent_runs: 1, on_limit: skip/.test(e.message),
    );
    await first;
    assert.equal(open.store.listRuns({ pipelineId: 'p' }).length, 1);
    assert.equal((await start(open, pipeline)).status, 'succeeded', 'a slot is free again');
  });
});

test('a run cancelled while it waits for a slot never starts', async () => {
  await withLimitedPipeline('queue', async (open) => {
    const pipeline = await open.loadPipeline('p');
    const first = start(open, pipeline);
    const controller = new AbortController();
    const waiting = start(open, pipeline, controller.signal);
    controller.abort();
    await assert.rejects(waiting, CancelledError);
    await first;
    assert.equal(open.store.listRuns({ pipelineId: 'p' }).length, 1);
  });
});

test('runs.start from the app answers at once for a run queued behind the limit, whose events follow when it starts', async () => {
  await withLimitedPipeline('queue', async (open) => {
    const events: { type: string; runId?: string }[] = [];
    const queue: RunQueueEvent[] = [];
    const handlers = createApiHandlers(open, (name, payload) => {
      if (name === 'runs.event') events.push(payload as { type: string; runId?: string });
      if (name === 'runs.queue') queue.push(payload as RunQueueEvent);
    });
    const first = await dispatch(handlers, 'runs.start', { pipelineId: 'p' });
    assert.ok(first.ok && !(first.result as { queued?: boolean }).queued, 'the first run starts');
    const second = await dispatch(handlers, 'runs.start', { pipelineId: 'p' });
    assert.ok(second.ok);
    const { runId, queued } = second.result as { runId: string; queued?: boolean };
    assert.equal(queued, true, 'the second answers while the first still runs');
    assert.equal(
      events.some((e) => e.type === 'run.started' && e.runId === runId),
      false,
    );
    await waitUntil(() => events.some((e) => e.type === 'run.finished' && e.runId === runId), { what: `queued run ${runId} to finish` });
    assert.equal(open.store.getRun(runId)?.status, 'succeeded', 'it ran once a slot freed');
    assert.deepEqual(
      queue,
      [
        { pipelineId: 'p', runId, queued: true },
        { pipelineId: 'p', runId, queued: false },
      ],
      'the UI hears it enter and leave the queue',
    );
  });
});

test('a queued run cancelled from the app leaves the queue without starting', async () => {
  await withLimitedPipeline('queue', async (open) => {
    const queue: RunQueueEvent[] = [];
    const started: string[] = [];
    const handlers = createApiHandlers(open, (name, payload) => {
      if (name === 'runs.queue') queue.push(payload as RunQueueEvent);
      if (name === 'runs.event' && (payload as { type: string }).type === 'run.started') started.push((payload as { runId: string }).runId);
    });
    const first = await dispatch(handlers, 'runs.start', { pipelineId: 'p' });
    const second = await dispatch(handlers, 'runs.start', { pipelineId: 'p' });
    assert.ok(first.ok && second.ok);
    const { runId } = second.result as { runId: string };
    assert.deepEqual(await dispatch(handlers, 'runs.cancel', { runId }), { ok: true, result: { cancelling: true } });
    await waitUntil(() => queue.length >= 2, { what: 'the queued run to leave the queue' });
    assert.deepEqual(queue.at(-1), { pipelineId: 'p', runId, queued: false });
    assert.equal(started.includes(runId), false);
    await waitUntil(() => open.activeRuns('p') === 0, { what: 'the first run to finish' });
  });
});
