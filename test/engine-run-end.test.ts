import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { openProject } from '../main/runtime/open-project.ts';
import type { BlockKind } from '../main/model/block-kind.ts';
import type { RunEvent } from '../main/model/run-events.ts';
import { createDefaultRegistry } from '../main/blocks/index.ts';
import { createTempProject } from './helpers/temp-project.ts';

/** Records when its end-of-run task runs (after every block finished), and fails that task when told to. */
const seen: string[] = [];
const endingSource: BlockKind<{ fail_at_end: boolean }> = {
  type: 'source',
  kind: 'test_ending',
  title: 'Test end of run',
  configSchema: z.strictObject({ fail_at_end: z.boolean().default(false) }),
  code: 'none',
  async run(ctx, config) {
    ctx.onRunEnd?.(async () => {
      seen.push(`end ${ctx.block.id}`);
      if (config.fail_at_end) throw new Error(`could not drop what ${ctx.block.id} kept`);
    });
    seen.push(`ran ${ctx.block.id}`);
    return { rowsOut: await ctx.data.writeOutputFromQuery('select 1 as x'), hasOutput: true };
  },
};

test("end-of-run work runs after every block, whatever the run's status; its failure is a warning of the run", async () => {
  const temp = createTempProject();
  temp.writePipeline('p', {
    blocks: [
      { id: 'a', type: 'source', kind: 'test_ending', config: { fail_at_end: true } },
      { id: 'b', type: 'source', kind: 'test_ending', config: {} },
    ],
  });
  const open = await openProject(temp.dir, { kinds: createDefaultRegistry().register(endingSource) });
  try {
    const events: RunEvent[] = [];
    const pipeline = await open.loadPipeline('p');
    const result = await open.run({ pipeline, scope: { kind: 'pipeline' }, trigger: { kind: 'test' } }, (e) => events.push(e));
    assert.equal(result.status, 'succeeded');
    assert.deepEqual(seen.slice(2).sort(), ['end a', 'end b'], `the ends follow both runs: ${seen.join(', ')}`);
    assert.deepEqual(seen.slice(0, 2).sort(), ['ran a', 'ran b']);
    const warnings = events.flatMap((e) => (e.type === 'log.written' && e.level === 'warn' ? [e.message] : []));
    assert.deepEqual(warnings, ['end of run: could not drop what a kept']);
    const finished = events.findIndex((e) => e.type === 'run.finished');
    const warned = events.findIndex((e) => e.type === 'log.written' && e.level === 'warn');
    assert.ok(warned < finished, 'the run finishes after its end-of-run work');
  } finally {
    await open.close();
    temp.cleanup();
  }
});
