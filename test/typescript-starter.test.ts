import { test } from 'node:test';
import assert from 'node:assert/strict';
import { starterCode } from '../main/project/block-templates.ts';
import { typescriptTransform } from '../main/blocks/typescript-transform.ts';
import { withPipeline } from './helpers/run-project.ts';

const TYPED = `select 1::INTEGER as n, 2::BIGINT as big, 1.5::DOUBLE as ratio, 12.34::DECIMAL(10,2) as amount,
  DATE '2024-02-29' as day, TIMESTAMP '2024-02-29 13:45:00' as at, 'x' as label, true as flag`;

test('the untouched TypeScript starter returns every upstream column with its type (a DATE stays a DATE)', async () => {
  const pipeline = {
    blocks: [
      { id: 'typed', type: 'source', kind: 'sql', file: 'blocks/typed.sql' },
      { id: 'ts_block', type: 'transform', kind: 'typescript', file: 'blocks/ts_block.ts', upstream: ['typed'] },
    ],
  };
  const files = { 'blocks/typed.sql': TYPED, 'blocks/ts_block.ts': starterCode(typescriptTransform, 'ts_block', ['typed']) };
  await withPipeline(
    pipeline,
    async ({ open, run }) => {
      const result = await run({ pipeline: await open.loadPipeline('p'), scope: { kind: 'pipeline' }, trigger: { kind: 'test' } });
      assert.equal(result.status, 'succeeded', JSON.stringify(result.blocks));
      const typesOf = async (blockId: string) =>
        (await open.workspace.preview('p', blockId, { offset: 0, limit: 1 })).columns.map((c) => `${c.name} ${c.type}`);
      assert.deepEqual(await typesOf('ts_block'), await typesOf('typed'));
      const differing = await open.workspace.query('select * from p.typed except select * from p.ts_block', { offset: 0, limit: 1 });
      assert.equal(differing.totalRows, 0, 'the values are the same too');
    },
    { files },
  );
});
