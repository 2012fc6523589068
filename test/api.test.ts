import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tableFromIPC } from 'apache-arrow';
import { openProject } from '../main/runtime/open-project.ts';
import { createApiHandlers, dispatch } from '../main/api/handlers.ts';
import type { RunEvent } from '../main/model/run-events.ts';
import { createTempProject } from './helpers/temp-project.ts';
import { createTestRegistry } from './helpers/test-kinds.ts';
import { waitUntil } from './helpers/wait-until.ts';

test('the API validates params, starts runs, streams their events and previews outputs as Arrow IPC', async () => {
  const temp = createTempProject();
  temp.writePipeline('p', {
    blocks: [
      { id: 'src', type: 'source', kind: 'test_rows', config: { rows: 1000 } },
      { id: 'slow', type: 'source', kind: 'test_rows', config: { rows: 1, delay_ms: 10_000 } },
    ],
  });
  const open = await openProject(temp.dir, { kinds: createTestRegistry() });
  const events: RunEvent[] = [];
  const handlers = createApiHandlers(open, (name, payload) => name === 'runs.event' && events.push(payload as RunEvent));
  try {
    const bad = await dispatch(handlers, 'runs.start', { pipelineId: 'p', scope: { kind: 'block' } });
    assert.equal(bad.ok, false);
    assert.match(!bad.ok ? bad.error.message : '', /runs.start: scope.block/);
    const unknown = await dispatch(handlers, 'runs.explode', {});
    assert.equal(unknown.ok, false);
    assert.match(!unknown.ok ? unknown.error.message : '', /unknown method 'runs.explode'/);

    const started = await dispatch(handlers, 'runs.start', { pipelineId: 'p', scope: { kind: 'block', block: 'src' } });
    assert.ok(started.ok, JSON.stringify(started));
    const { runId } = started.result as { runId: string };
    await waitUntil(() => events.some((e) => e.type === 'run.finished' && e.runId === runId), { what: `run ${runId} to finish` });
    const got = await dispatch(handlers, 'runs.get', { runId });
    assert.equal(got.ok && (got.result as { run: { status: string } }).run.status, 'succeeded');

    const preview = await dispatch(handlers, 'outputs.preview', {
      pipelineId: 'p',
      blockId: 'src',
      window: { offset: 990, limit: 50, orderBy: [{ column: 'i' }] },
    });
    assert.ok(preview.ok);
    const result = preview.result as { totalRows: number; ipc: Uint8Array; columns: { name: string }[] };
    assert.equal(result.totalRows, 1000);
    const table = tableFromIPC(result.ipc);
    assert.equal(table.numRows, 10);
    assert.equal(Number(table.get(0)?.toJSON().i), 990);

    const long = await dispatch(handlers, 'runs.start', { pipelineId: 'p', scope: { kind: 'block', block: 'slow' } });
    assert.ok(long.ok);
    const longId = (long.result as { runId: string }).runId;
    await dispatch(handlers, 'runs.cancel', { runId: longId });
    await waitUntil(() => events.some((e) => e.type === 'run.finished' && e.runId === longId), {
      what: `cancelled run ${longId} to finish`,
    });
    assert.equal(open.store.getRun(longId)?.status, 'cancelled');
  } finally {
    await open.close();
    temp.cleanup();
  }
});
