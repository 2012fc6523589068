import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createApiHandlers, dispatch } from '../main/api/handlers.ts';
import { readPipelineVersion } from '../main/project/pipeline-writer.ts';
import { sqlBlock, withPipeline } from './helpers/run-project.ts';

test('a renamed block keeps its stored output, and a new block with the old name has none', async () => {
  const pipeline = { blocks: [{ id: 'src', type: 'source', kind: 'test_rows', config: { rows: 3 } }, sqlBlock('sql', ['src'])] };
  await withPipeline(
    pipeline,
    async ({ open, run, temp }) => {
      await run({ pipeline: await open.loadPipeline('p'), scope: { kind: 'pipeline' }, trigger: { kind: 'test' } });
      const handlers = createApiHandlers(open, () => undefined);
      const update = async (edits: unknown[]) => {
        const answer = await dispatch(handlers, 'pipelines.update', {
          pipelineId: 'p',
          expectedVersion: await readPipelineVersion(temp.dir, 'p'),
          edits,
        });
        assert.ok(answer.ok, JSON.stringify(answer));
      };
      await update([{ op: 'renameBlock', from: 'sql', to: 'big_orders' }]);
      const renamed = await dispatch(handlers, 'outputs.preview', {
        pipelineId: 'p',
        blockId: 'big_orders',
        window: { offset: 0, limit: 10 },
      });
      assert.ok(renamed.ok, `the renamed block's output is there: ${JSON.stringify(renamed)}`);
      assert.equal((renamed.result as { totalRows: number }).totalRows, 3);
      await update([{ op: 'addBlock', block: { id: 'sql', type: 'transform', kind: 'sql', upstream: ['src'] } }]);
      const fresh = await dispatch(handlers, 'outputs.preview', { pipelineId: 'p', blockId: 'sql', window: { offset: 0, limit: 10 } });
      assert.equal(fresh.ok, false, 'the new block shows no output of the block that had its name');
    },
    { files: { 'blocks/sql.sql': 'select * from src' } },
  );
});
