import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunEvent } from '../main/model/run-events.ts';
import { applyRunEvent } from '../renderer/src/runs/apply-run-event.ts';
import { emptyRunState, type RunState } from '../renderer/src/runs/use-run-state.ts';
import { describeChildren, summarizeTally } from '../renderer/src/orchestration/children-state.ts';

const at = 0;
const started = (runId: string): RunEvent => ({
  runId,
  at,
  type: 'run.started',
  pipelineId: 'p',
  scope: { kind: 'pipeline' },
  blocks: ['items', 'each'],
  trigger: { kind: 'app' },
  variables: {},
  pipelineHash: '',
  codeHash: '',
});
const added = (runId: string, index: number): RunEvent => ({
  runId,
  at,
  type: 'block.added',
  blockId: `each[${index}]`,
  parentId: 'each',
  index,
});

test('block.added children are counted on their parent and the badge counts them by outcome; a new run fans out afresh', () => {
  let state: RunState = { ...emptyRunState(), runId: 'r1' };
  const events: RunEvent[] = [
    started('r1'),
    ...[0, 1, 2, 3].map((i) => added('r1', i)),
    { runId: 'r1', at, type: 'block.started', blockId: 'each[0]', attempt: 1 },
    { runId: 'r1', at, type: 'block.succeeded', blockId: 'each[0]', attempt: 1, durationMs: 5, rowsOut: 1 },
    { runId: 'r1', at, type: 'block.succeeded', blockId: 'each[1]', attempt: 1, durationMs: 5, rowsOut: 1 },
    {
      runId: 'r1',
      at,
      type: 'block.failed',
      blockId: 'each[2]',
      attempt: 2,
      durationMs: 5,
      error: { kind: 'user', message: 'bad', retryable: false },
    },
  ];
  for (const event of events) state = applyRunEvent(state, event);
  assert.deepEqual(Object.keys(state.blocks).sort(), ['each', 'items'], 'children are not blocks of the canvas');
  assert.deepEqual(state.children.each, { total: 4, byStatus: { pending: 1, running: 0, succeeded: 2, failed: 1 } });
  const summary = summarizeTally(state.children.each);
  assert.deepEqual(summary, { total: 4, succeeded: 2, failed: 1, active: 1 });
  assert.equal(describeChildren(summary ?? { total: 0, succeeded: 0, failed: 0, active: 0 }), '2/4 ✓, 1 failed, 1 running');
  assert.equal(summarizeTally(state.children.items), null, 'a block without children has no badge');

  state = applyRunEvent({ ...state, runId: 'r2' }, started('r2'));
  state = applyRunEvent(state, added('r2', 0));
  assert.deepEqual(
    state.children.each,
    { total: 1, byStatus: { pending: 1 } },
    "the previous run's children are dropped when their parent runs again",
  );
  assert.equal(state.childStatuses.size, 1);
});

test('folding a fan-out of 100,000 children stays linear: no per-event copy of every child', () => {
  const fold = (n: number) => {
    let state: RunState = applyRunEvent({ ...emptyRunState(), runId: 'r1' }, started('r1'));
    const t = performance.now();
    for (let i = 0; i < n; i++) {
      state = applyRunEvent(state, added('r1', i));
      state = applyRunEvent(state, { runId: 'r1', at, type: 'block.started', blockId: `each[${i}]`, attempt: 1 });
      state = applyRunEvent(state, { runId: 'r1', at, type: 'block.succeeded', blockId: `each[${i}]`, attempt: 1, durationMs: 1 });
    }
    assert.equal(state.children.each?.byStatus.succeeded, n);
    return performance.now() - t;
  };
  fold(2_000); // warm-up
  const small = fold(10_000);
  const large = fold(100_000);
  // Linear: 10× the children, about 10× the time. A copy per event (the old fold) made it about 100×.
  assert.ok(
    large / small < 40,
    `10× the children took ${(large / small).toFixed(1)}× the time (${small.toFixed(0)} → ${large.toFixed(0)} ms)`,
  );
});
