import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openProject } from '../main/runtime/open-project.ts';
import { createApiHandlers, dispatch } from '../main/api/handlers.ts';
import type { RunEvent } from '../main/model/run-events.ts';
import { createTempProject } from './helpers/temp-project.ts';
import { waitUntil } from './helpers/wait-until.ts';

/** Starts a run through the API and resolves to its id once it finished. */
async function runToEnd(
  handlers: ReturnType<typeof createApiHandlers>,
  events: RunEvent[],
  method: 'runs.start' | 'runs.retryFailed',
  params: object,
): Promise<string> {
  const reply = await dispatch(handlers, method, params);
  assert.ok(reply.ok, JSON.stringify(reply));
  const { runId } = reply.result as { runId: string };
  await waitUntil(() => events.some((e) => e.type === 'run.finished' && e.runId === runId), { what: `run ${runId} to finish` });
  return runId;
}

test('runs.retryFailed re-runs every block that did not succeed, in all branches, with the run variables and dates', async () => {
  const temp = createTempProject();
  temp.writeFile('blocks/base.sql', 'select range as v from range(3)\n');
  temp.writeFile('blocks/bad_a.sql', 'select nope from base\n');
  temp.writeFile('blocks/bad_b.sql', 'select nope from base\n');
  temp.writeFile('blocks/after_a.sql', "select count(*) as n, '{{ ds }}' as day from bad_a\n");
  const blocks = [
    { id: 'base', type: 'source', kind: 'sql', file: 'blocks/base.sql' },
    { id: 'bad_a', type: 'transform', kind: 'sql', file: 'blocks/bad_a.sql', upstream: ['base'] },
    { id: 'after_a', type: 'transform', kind: 'sql', file: 'blocks/after_a.sql', upstream: ['bad_a'] },
    { id: 'bad_b', type: 'transform', kind: 'sql', file: 'blocks/bad_b.sql', upstream: ['base'] },
  ];
  temp.writePipeline('p', { variables: { factor: { default: '2' } }, blocks });
  const open = await openProject(temp.dir);
  const events: RunEvent[] = [];
  const handlers = createApiHandlers(open, (name, payload) => name === 'runs.event' && events.push(payload as RunEvent));
  type Detail = { status: string; scope: unknown; variables: Record<string, unknown>; blocks: { blockId: string; status: string }[] };
  const detail = async (runId: string) => {
    const got = await dispatch(handlers, 'runs.get', { runId });
    return got.ok ? (got.result as { run: Detail }).run : undefined;
  };
  try {
    const broken = await runToEnd(handlers, events, 'runs.start', {
      pipelineId: 'p',
      variables: { factor: '5', execution_date: '2021-03-04' },
    });
    assert.deepEqual((await detail(broken))?.blocks.map((b) => `${b.blockId}:${b.status}`).sort(), [
      'after_a:upstream_failed',
      'bad_a:failed',
      'bad_b:failed',
      'base:succeeded',
    ]);
    temp.writeFile('blocks/bad_a.sql', 'select v from base\n');
    temp.writeFile('blocks/bad_b.sql', 'select v * 2 as w from base\n');
    const retried = await runToEnd(handlers, events, 'runs.retryFailed', { runId: broken });
    const run = await detail(retried);
    assert.equal(run?.status, 'succeeded');
    assert.deepEqual((run?.scope as { blocks: string[] }).blocks.sort(), ['after_a', 'bad_a', 'bad_b']);
    assert.deepEqual(run?.blocks.map((b) => b.blockId).sort(), ['after_a', 'bad_a', 'bad_b'], 'base, which succeeded, is not run again');
    assert.equal(run?.variables.factor, '5', 'the failed run’s variables are kept');
    assert.equal(run?.variables.ds, '2021-03-04', 'and its execution date');
    const again = await dispatch(handlers, 'runs.retryFailed', { runId: retried });
    assert.match(!again.ok ? again.error.message : '', /nothing to retry/);
  } finally {
    await open.close();
    temp.cleanup();
  }
});
