import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planBackfill } from '../main/orchestration/backfill-plan.ts';
import { runBackfill, type BackfillProgress } from '../main/orchestration/run-backfill.ts';
import type { OpenProject } from '../main/runtime/open-project.ts';
import { withPipeline } from './helpers/run-project.ts';

test('progress counts every interval to the end: one that fails and one that cannot start make 2/2 done, 2 failed', async () => {
  const pipeline = { blocks: [{ id: 'bad', type: 'source', kind: 'sql', file: 'blocks/bad.sql' }] };
  await withPipeline(
    pipeline,
    async ({ open }) => {
      // The second interval's run is refused before it starts (a fault injected at the launcher), after the first ran.
      let markStarted: () => void = () => undefined;
      const firstStarted = new Promise<void>((resolve) => (markStarted = resolve));
      const faulty: OpenProject = {
        ...open,
        run: async (request, onEvent) => {
          if (request.interval?.start.toISOString().startsWith('2024-03-02')) {
            await firstStarted;
            throw new Error('the launcher refused the run');
          }
          return open.run(request, (event) => {
            if (event.type === 'run.started') markStarted();
            onEvent?.(event);
          });
        },
      };
      const progress: BackfillProgress[] = [];
      const result = await runBackfill({
        open: faulty,
        pipeline: await open.loadPipeline('p'),
        intervals: planBackfill('2024-03-01', '2024-03-02', 'day'),
        backfillId: 'bf_test',
        concurrency: 2,
        onProgress: (p) => progress.push(p),
      });
      const last = progress.at(-1);
      assert.deepEqual({ done: last?.done, failed: last?.failed, total: last?.total }, { done: 2, failed: 2, total: 2 });
      assert.deepEqual(
        result.runs.map((r) => r.status),
        ['failed', 'failed'],
      );
      assert.match(JSON.stringify(progress), /the launcher refused the run/, 'the reason is reported');
    },
    { files: { 'blocks/bad.sql': 'select nope' } },
  );
});
