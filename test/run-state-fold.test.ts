import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunEvent } from '../main/model/run-events.ts';
import { applyRunEvent } from '../renderer/src/runs/apply-run-event.ts';
import type { RunState } from '../renderer/src/runs/use-run-state.ts';
import { formatAmount, formatRate } from '../renderer/src/canvas/format.ts';
import { apiCurlLine } from '../renderer/src/orchestration/trigger-text.ts';

const base = { runId: 'r2', at: 0 };

test('a partial run keeps the other blocks results and folds progress, rows and tests into its blocks', () => {
  let state: RunState = {
    runId: 'r1',
    status: 'succeeded',
    blocks: { load: { status: 'succeeded', rowsOut: 10 }, clean: { status: 'succeeded', rowsOut: 8 } },
    children: {},
    childStatuses: new Map(),
    logs: [],
  };
  const events: RunEvent[] = [
    {
      ...base,
      type: 'run.started',
      pipelineId: 'p',
      scope: { kind: 'block', block: 'clean' },
      blocks: ['clean'],
      trigger: { kind: 'app' },
      variables: {},
      pipelineHash: '',
      codeHash: '',
    },
    { ...base, type: 'block.started', blockId: 'clean', attempt: 1 },
    { ...base, type: 'block.progressed', blockId: 'clean', phase: 'download', done: 512, total: 2048, unit: 'bytes', rate: 256 },
  ];
  for (const event of events) state = applyRunEvent({ ...state, runId: 'r2' }, event);
  assert.deepEqual(state.blocks.load, { status: 'succeeded', rowsOut: 10 });
  assert.deepEqual(state.blocks.clean, {
    status: 'running',
    progress: { phase: 'download', done: 512, total: 2048, unit: 'bytes', rate: 256 },
  });
  assert.equal(formatRate({ done: 512, total: 2048, unit: 'bytes', rate: 256 }), '256 B/s · 6.0 s left');
  state = applyRunEvent(state, {
    ...base,
    type: 'block.succeeded',
    blockId: 'clean',
    attempt: 1,
    durationMs: 40,
    rowsOut: 7,
    tests: [
      { name: 'a', passed: true },
      { name: 'b', passed: false, message: 'x' },
    ],
  });
  assert.deepEqual(state.blocks.clean, { status: 'succeeded', durationMs: 40, rowsOut: 7, tests: { passed: 1, failed: 1 } });
});

test('amounts of progress read "1 row", "2 rows", "1 item" and bytes in binary units', () => {
  assert.equal(formatAmount(1, 'rows'), '1 row');
  assert.equal(formatAmount(2, 'rows'), '2 rows');
  assert.equal(formatAmount(1, 'items'), '1 item');
  assert.equal(formatAmount(3, 'checks'), '3 checks');
  assert.equal(formatAmount(0, 'items'), '0 items');
  assert.equal(formatAmount(1536, 'bytes'), '1.5 KB');
});

test("the API trigger curl line uses the page's address, else the desktop app's local API with where its token is", () => {
  assert.equal(
    apiCurlLine('http://127.0.0.1:6790', 'p'),
    'curl -X POST -H "Authorization: Bearer <token>" http://127.0.0.1:6790/api/pipelines/p/runs',
  );
  assert.equal(
    apiCurlLine('file://', 'p', 'http://127.0.0.1:41234'),
    'curl -X POST -H "Authorization: Bearer <token from .pipewright/server.json>" http://127.0.0.1:41234/api/pipelines/p/runs',
  );
  assert.equal(
    apiCurlLine('file://', 'my pipe'),
    'curl -X POST -H "Authorization: Bearer <token>" http://127.0.0.1:6789/api/pipelines/my%20pipe/runs',
  );
});

test('a check that warned is counted apart from failures on the node', () => {
  const state: RunState = { runId: 'r2', status: 'running', blocks: {}, children: {}, childStatuses: new Map(), logs: [] };
  const tests = [
    { name: 'a', passed: true },
    { name: 'unique(id)', source: 'check' as const, severity: 'warn' as const, passed: false, failing: 3 },
    { name: 'rows', source: 'drift' as const, severity: 'fail' as const, passed: false },
  ];
  const next = applyRunEvent(state, {
    ...base,
    type: 'block.failed',
    blockId: 'clean',
    attempt: 1,
    durationMs: 5,
    error: { kind: 'user', message: 'drift rows failed', retryable: false },
    tests,
  });
  assert.deepEqual(next.blocks.clean?.tests, { passed: 1, failed: 1, warned: 1 });
});
