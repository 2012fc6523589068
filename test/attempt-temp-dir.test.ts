import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { BlockKind } from '../main/model/block-kind.ts';
import { withPipeline } from './helpers/run-project.ts';

/** What each attempt saw of `.pipewright/tmp` before and after asking for its temp dir. */
const seen: { useTemp: boolean; before: string[]; dir?: string; existed?: boolean }[] = [];
const probeConfig = z.strictObject({ use_temp: z.boolean() });
const probeKind: BlockKind<z.infer<typeof probeConfig>> = {
  type: 'source',
  kind: 'test_temp_probe',
  title: 'Temp dir probe',
  configSchema: probeConfig,
  code: 'none',
  async run(ctx, config) {
    const root = path.join(ctx.project.stateDir, 'tmp');
    const entry: (typeof seen)[number] = { useTemp: config.use_temp, before: existsSync(root) ? readdirSync(root) : [] };
    seen.push(entry);
    if (config.use_temp) {
      entry.dir = ctx.tempDir;
      entry.existed = existsSync(ctx.tempDir);
      writeFileSync(path.join(ctx.tempDir, 'scratch.txt'), 'x');
    }
    return { hasOutput: false };
  },
};

test("an attempt's temp dir is made only when the block asks for it, and removed after the attempt", async () => {
  const pipeline = {
    concurrency: 1, // one after the other: neither sees the other's folder
    blocks: [
      { id: 'quiet', type: 'source', kind: 'test_temp_probe', config: { use_temp: false } },
      { id: 'writer', type: 'source', kind: 'test_temp_probe', config: { use_temp: true } },
    ],
  };
  await withPipeline(
    pipeline,
    async ({ open, run }) => {
      const result = await run({ pipeline: await open.loadPipeline('p'), scope: { kind: 'pipeline' }, trigger: { kind: 'test' } });
      assert.equal(result.status, 'succeeded', JSON.stringify(result.blocks));
      const quiet = seen.find((s) => !s.useTemp);
      const writer = seen.find((s) => s.useTemp);
      assert.deepEqual(quiet?.before, [], 'no folder for a block that never asked');
      assert.deepEqual(writer?.before, [], 'nor one made ahead of the ask');
      assert.equal(writer?.existed, true, 'the folder exists once asked for');
      assert.match(path.basename(writer?.dir ?? ''), /^writer-/);
      assert.equal(existsSync(writer?.dir ?? ''), false, 'and is removed after the attempt');
    },
    { kinds: [probeKind] },
  );
});
