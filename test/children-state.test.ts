import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunEvent } from '../main/model/run-events.ts';
import { applyRunEvent } from '../renderer/src/runs/apply-run-event.ts';
import type { RunState } from '../renderer/src/runs/use-run-state.ts';
import { describeChildren, summarizeChildren } from '../renderer/src/orchestration/children-state.ts';

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

test('block.added children fold into the run state and the badge counts them by outcome; a new run fans out afresh', () => {
  let state: RunState = { runId: 'r1', status: null, blocks: {}, logs: [] };
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
  assert.deepEqual(state.blocks['each[3]'], { status: 'pending' });
  const summary = summarizeChildren(state.blocks, 'each');
  assert.deepEqual(summary, { total: 4, succeeded: 2, failed: 1, active: 1 });
  assert.equal(describeChildren(summary ?? { total: 0, succeeded: 0, failed: 0, active: 0 }), '2/4 ✓, 1 failed, 1 running');
  assert.equal(summarizeChildren(state.blocks, 'items'), null, 'a block without children has no badge');
  assert.equal(summarizeChildren({ 'each_x[0]': { status: 'succeeded' } }, 'each'), null, 'only `<parent>[n]` ids count');

  state = applyRunEvent({ ...state, runId: 'r2' }, started('r2'));
  state = applyRunEvent(state, added('r2', 0));
  assert.deepEqual(
    Object.keys(state.blocks).sort(),
    ['each', 'each[0]', 'items'],
    "the previous run's children are dropped when their parent runs again",
  );
  assert.deepEqual(summarizeChildren(state.blocks, 'each'), { total: 1, succeeded: 0, failed: 0, active: 1 });
});
