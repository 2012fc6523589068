import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunEvent } from '../main/model/run-events.ts';
import { applyRunEvent } from '../renderer/src/runs/apply-run-event.ts';
import { emptyRunState, type RunState } from '../renderer/src/runs/use-run-state.ts';
import path from 'node:path';
import { RunStore } from '../main/history/run-store.ts';
import { createTempProject } from './helpers/temp-project.ts';
import { recordFanOutRun } from './helpers/fan-out-history.ts';

const runId = 'r1';
const at = 0;

/** A fan-out of `n` children, each logging its item; every other one fails. The parent logs before and after. */
function fanOutEvents(n: number): RunEvent[] {
  const events: RunEvent[] = [
    {
      runId,
      at,
      type: 'run.started',
      pipelineId: 'p',
      scope: { kind: 'pipeline' },
      blocks: ['ids', 'each'],
      trigger: { kind: 'app' },
      variables: {},
      pipelineHash: '',
      codeHash: '',
    },
    { runId, at, type: 'block.started', blockId: 'each', attempt: 1 },
    { runId, at, type: 'log.written', blockId: 'each', level: 'info', message: `${n} items from ids: one child each` },
  ];
  for (let index = 0; index < n; index++) {
    const blockId = `each[${index}]`;
    events.push({ runId, at, type: 'block.added', blockId, parentId: 'each', index });
    events.push({ runId, at, type: 'log.written', blockId, level: 'info', message: `item ${index}: {"i":${index}}` });
    events.push({ runId, at, type: 'block.started', blockId, attempt: 1 });
    if (index % 2 === 1) {
      const error = { kind: 'user' as const, message: `bad item ${index}`, retryable: false };
      events.push({ runId, at, type: 'block.failed', blockId, attempt: 1, durationMs: 1, error });
    } else events.push({ runId, at, type: 'block.succeeded', blockId, attempt: 1, durationMs: 1, rowsOut: 1 });
  }
  const error = { kind: 'user' as const, message: `${n / 2} of ${n} children failed`, retryable: false };
  events.push({ runId, at, type: 'block.failed', blockId: 'each', attempt: 1, durationMs: 5, error });
  return events;
}

test("the live run log keeps the top-level blocks' lines; 6,000 children (3,000 failed) are counted on their parent, not logged", () => {
  let state: RunState = { ...emptyRunState(), runId };
  for (const event of fanOutEvents(6_000)) state = applyRunEvent(state, event);
  // Before: every failed child added a line, and 3,000 of them pushed the parent's first line out of the last 2,000.
  assert.deepEqual(
    state.logs.map((l) => [l.blockId, l.message]),
    [
      ['each', '6000 items from ids: one child each'],
      ['each', 'failed: 3000 of 6000 children failed'],
    ],
  );
  assert.deepEqual(state.children.each, { total: 6_000, byStatus: { pending: 0, running: 0, succeeded: 3_000, failed: 3_000 } });
});

test("a finished fan-out's top-level log lines are read from history without its children's (the app's log on load, the run page's \"all\")", () => {
  const temp = createTempProject();
  const store = RunStore.open(path.join(temp.dir, '.pipewright', 'history.sqlite'));
  try {
    const statusOf = (i: number) => (i % 2 === 1 ? 'failed' : 'succeeded');
    recordFanOutRun(store, { runId, pipelineId: 'p', blocks: ['ids', 'each'], parent: 'each', children: 3_000, statusOf, isLive: true });
    store.record({ runId, at, type: 'log.written', blockId: 'each', level: 'info', message: '3000 children' });
    store.record({ runId, at, type: 'log.written', blockId: null, level: 'info', message: 'run line' });
    // The children's 1,500 error lines come first: a plain page of 500 holds none of the top-level lines.
    assert.equal(store.getLogs(runId, { limit: 500 }).filter((l) => !l.blockId?.includes('[')).length, 0);
    assert.deepEqual(
      store.getLogs(runId, { topLevel: true, limit: 500 }).map((l) => [l.blockId, l.message]),
      [
        ['each', '3000 children'],
        [null, 'run line'],
      ],
    );
  } finally {
    store.close();
    temp.cleanup();
  }
});
