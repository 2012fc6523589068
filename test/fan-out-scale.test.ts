import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunEvent } from '../main/model/run-events.ts';
import { sqlBlock, withPipeline } from './helpers/run-project.ts';

/** Ms per child of a fan-out of `items` SQL children with outputs (first child added to last child settled), and what history kept. */
async function fanOut(items: number): Promise<{ perChildMs: number }> {
  const pipeline = {
    concurrency: 4,
    blocks: [
      { id: 'ids', type: 'source', kind: 'sql', file: 'blocks/ids.sql', dynamic: true },
      sqlBlock('each', ['ids'], { reduce: true }),
    ],
  };
  const files = {
    'blocks/ids.sql': `select range::INTEGER as i from range(${items})`,
    'blocks/each.sql': 'select {{ item.i }} as i, {{ item.i }} * 2 as doubled',
  };
  let perChildMs = 0;
  await withPipeline(
    pipeline,
    async ({ open, run }) => {
      let first: number | undefined;
      let last = 0;
      const result = await run(
        { pipeline: await open.loadPipeline('p'), scope: { kind: 'pipeline' }, trigger: { kind: 'test' } },
        (e: RunEvent) => {
          if (e.type === 'block.added') first ??= performance.now();
          if (e.type === 'block.succeeded' && e.blockId.startsWith('each[')) last = performance.now();
        },
      );
      assert.equal(result.status, 'succeeded', JSON.stringify(result.blocks));
      perChildMs = (last - (first ?? last)) / items;
      // History: one row per child, each planned after the run's own blocks in item order, succeeded at its first attempt.
      const stored = open.store.getRun(result.runId);
      const children = stored?.blocks.filter((b) => b.blockId.startsWith('each[')) ?? [];
      assert.equal(children.length, items);
      assert.deepEqual(children.map((b) => b.blockId).slice(0, 3), ['each[0]', 'each[1]', 'each[2]'], 'children in plan order');
      assert.ok(children.every((b) => b.status === 'succeeded' && b.attempts === 1 && b.rowsOut === 1));
      const parent = stored?.blocks.find((b) => b.blockId === 'each');
      assert.equal(parent?.rowsOut, items);
      assert.equal(parent?.progress?.done, items, 'the parent counts its finished children');
      assert.equal(open.store.blocksToResume(result.runId).length, 0);
      const lastChild = await open.workspace.latestOutput('p', `each[${items - 1}]`);
      assert.equal(lastChild?.rows, 1, 'a child output is stored like any output');
    },
    { files },
  );
  return { perChildMs };
}

test('a fan-out costs the same per child at 2,000 children as at 200 (no work per child that grows with the others)', async () => {
  const small = await fanOut(200);
  const large = await fanOut(2000);
  const ratio = large.perChildMs / small.perChildMs;
  // Loose: the machine is shared; before the fix per-child cost grew with the child count (~11 ms at 800, ~85 ms at 5,000).
  assert.ok(
    ratio < 3,
    `per child: ${small.perChildMs.toFixed(1)} ms at 200, ${large.perChildMs.toFixed(1)} ms at 2,000 (${ratio.toFixed(2)}×)`,
  );
});
