import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openProject } from '../main/runtime/open-project.ts';
import { createApiHandlers, dispatch } from '../main/api/handlers.ts';
import { createTempProject } from './helpers/temp-project.ts';
import { createTestRegistry } from './helpers/test-kinds.ts';

test('backfills.plan warns when no block reads {{ ds }} or interval_*, and not when one does', async () => {
  const temp = createTempProject();
  temp.writePipeline('same_data', { blocks: [{ id: 'src', type: 'source', kind: 'test_rows', config: { rows: 1 } }] });
  temp.writePipeline('daily', {
    blocks: [
      { id: 'src', type: 'source', kind: 'test_rows', config: { rows: 1 } },
      { id: 'day', type: 'transform', kind: 'sql', file: 'blocks/day.sql', upstream: ['src'] },
    ],
  });
  temp.writeFile('blocks/day.sql', "select *, '{{ interval_start }}' as day from src");
  const open = await openProject(temp.dir, { kinds: createTestRegistry() });
  const handlers = createApiHandlers(open, () => undefined);
  try {
    const plan = (pipelineId: string) =>
      dispatch(handlers, 'backfills.plan', { pipelineId, from: '2024-01-01', to: '2024-01-02', every: 'day' });
    const same = await plan('same_data');
    assert.ok(same.ok);
    assert.match(
      (same.result as { warning?: string }).warning ?? '',
      /no block of same_data uses \{\{ ds \}\}.*every interval would load the same data/,
    );
    const daily = await plan('daily');
    assert.ok(daily.ok);
    assert.equal((daily.result as { warning?: string }).warning, undefined);
  } finally {
    await open.close();
    temp.cleanup();
  }
});
