import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tableFromIPC } from 'apache-arrow';
import { openProject, type OpenProject } from '../main/runtime/open-project.ts';
import { createTempProject } from './helpers/temp-project.ts';
import { createApiHandlers, dispatch } from '../main/api/handlers.ts';

async function runTagged(open: OpenProject, tag: string): Promise<string> {
  const result = await open.run({
    pipeline: await open.loadPipeline('tags'),
    scope: { kind: 'pipeline' },
    trigger: { kind: 'test' },
    variables: { tag },
  });
  assert.equal(result.status, 'succeeded');
  return result.runId;
}

async function tagOf(open: OpenProject, runId?: string): Promise<string> {
  const preview = await open.workspace.preview('tags', 'tagged', { offset: 0, limit: 10 }, runId);
  return String(tableFromIPC(preview.ipc).getChild('tag')?.get(0));
}

async function withProject(retention: Record<string, unknown> | undefined, body: (open: OpenProject) => Promise<void>): Promise<void> {
  const temp = createTempProject(retention ? { retention } : {});
  temp.writeFile('blocks/tagged.sql', "select '{{ tag }}' as tag\n");
  temp.writePipeline('tags', {
    variables: { tag: 'none' },
    blocks: [{ id: 'tagged', type: 'source', kind: 'sql', file: 'blocks/tagged.sql' }],
  });
  const open = await openProject(temp.dir);
  try {
    await body(open);
  } finally {
    await open.close();
    temp.cleanup();
  }
}

test("with outputs_keep_last: 2 a run's output stays previewable after the next run, and goes after the one after", async () => {
  await withProject({ outputs_keep_last: 2 }, async (open) => {
    const first = await runTagged(open, 'a');
    const second = await runTagged(open, 'b');
    assert.equal(await tagOf(open, first), 'a', 'the previous output is still there');
    const third = await runTagged(open, 'c');
    assert.equal(await tagOf(open), 'c', 'the latest is what previews show by default');
    assert.equal(await tagOf(open, third), 'c');
    assert.equal(await tagOf(open, second), 'b');
    await assert.rejects(tagOf(open, first), /the output of tagged from run r\S+ is no longer stored \(retention\.outputs_keep_last: 2\)/);
    assert.deepEqual(
      (await open.workspace.runOutputs('tags', second)).map((o) => [o.blockId, o.rows]),
      [['tagged', 1]],
    );
    assert.deepEqual(await open.workspace.runOutputs('tags', first), []);
  });
});

test('by default only the latest output is kept, as before', async () => {
  await withProject(undefined, async (open) => {
    const first = await runTagged(open, 'a');
    await runTagged(open, 'b');
    await assert.rejects(tagOf(open, first), /no longer stored \(retention\.outputs_keep_last: 1\)/);
    assert.equal(await tagOf(open), 'b');
  });
});

test("outputs.ofRun and outputs.preview with runId serve a past run's output through the API", async () => {
  await withProject({ outputs_keep_last: 3 }, async (open) => {
    const first = await runTagged(open, 'a');
    await runTagged(open, 'b');
    const handlers = createApiHandlers(open, () => undefined);
    assert.deepEqual(await dispatch(handlers, 'outputs.ofRun', { pipelineId: 'tags', runId: first }), {
      ok: true,
      result: { outputs: [{ blockId: 'tagged', rows: 1 }] },
    });
    const reply = await dispatch(handlers, 'outputs.preview', {
      pipelineId: 'tags',
      blockId: 'tagged',
      window: { offset: 0, limit: 5 },
      runId: first,
    });
    assert.ok(reply.ok);
    assert.equal(
      String(
        tableFromIPC((reply.result as { ipc: Uint8Array }).ipc)
          .getChild('tag')
          ?.get(0),
      ),
      'a',
    );
  });
});
