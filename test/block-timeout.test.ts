import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openProject } from '../main/runtime/open-project.ts';
import type { RunEvent } from '../main/model/run-events.ts';
import { blockTimeout, DEFAULT_BLOCK_TIMEOUT_S } from '../main/engine/block-timeout.ts';
import { engineSettingsSchema, blockSpecSchema } from '../main/model/schema.ts';
import { createTempProject } from './helpers/temp-project.ts';
import { createTestRegistry } from './helpers/test-kinds.ts';

const SPIN = 'export default () => {\n  for (;;) {}\n};\n';

test('a TypeScript while(true) with no timeout: is stopped by the project default block_timeout', async () => {
  const temp = createTempProject({ engine: { block_timeout: 0.5 } });
  temp.writeFile('blocks/spin.ts', SPIN);
  temp.writePipeline('p', {
    blocks: [
      { id: 'nums', type: 'source', kind: 'test_rows', config: { rows: 2 } },
      { id: 'spin', type: 'transform', kind: 'typescript', file: 'blocks/spin.ts', upstream: ['nums'] },
      // Slower than the project default, but its own `timeout: none` lets it finish.
      { id: 'slow', type: 'source', kind: 'test_rows', config: { rows: 1, delay_ms: 900 }, timeout: 'none' },
      { id: 'slow_zero', type: 'source', kind: 'test_rows', config: { rows: 1, delay_ms: 900 }, timeout: 0 },
    ],
  });
  const open = await openProject(temp.dir, { kinds: createTestRegistry() });
  try {
    const events: RunEvent[] = [];
    const result = await open.run({ pipeline: await open.loadPipeline('p'), scope: { kind: 'pipeline' }, trigger: { kind: 'test' } }, (e) =>
      events.push(e),
    );
    assert.equal(result.status, 'failed');
    const failed = events.find((e) => e.type === 'block.failed' && e.blockId === 'spin');
    assert.ok(failed?.type === 'block.failed');
    assert.match(failed.error.message, /timed out after 0\.5 s \(block_timeout in pipewright\.yaml\)/);
    assert.equal(result.blocks.find((b) => b.id === 'slow')?.status, 'succeeded');
    assert.equal(result.blocks.find((b) => b.id === 'slow_zero')?.status, 'succeeded');
  } finally {
    await open.close();
    temp.cleanup();
  }
});

test('block_timeout: none in pipewright.yaml turns the default off; a block timeout still applies', async () => {
  const temp = createTempProject({ engine: { block_timeout: 'none' } });
  temp.writeFile('blocks/spin.ts', SPIN);
  temp.writePipeline('p', {
    blocks: [
      { id: 'nums', type: 'source', kind: 'test_rows', config: { rows: 2 } },
      { id: 'spin', type: 'transform', kind: 'typescript', file: 'blocks/spin.ts', upstream: ['nums'], timeout: 0.3 },
    ],
  });
  const open = await openProject(temp.dir, { kinds: createTestRegistry() });
  try {
    assert.equal(open.project.settings.engine.block_timeout, null);
    const result = await open.run({ pipeline: await open.loadPipeline('p'), scope: { kind: 'pipeline' }, trigger: { kind: 'test' } });
    assert.match(result.blocks.find((b) => b.id === 'spin')?.error?.message ?? '', /timed out after 0\.3 s \(the block's timeout\)/);
  } finally {
    await open.close();
    temp.cleanup();
  }
});

test('without any setting, blocks get the default timeout and sensors keep their own', () => {
  const engine = engineSettingsSchema.parse({});
  assert.deepEqual(blockTimeout({ type: 'transform', timeout: undefined }, engine)?.seconds, DEFAULT_BLOCK_TIMEOUT_S);
  assert.match(blockTimeout({ type: 'source', timeout: undefined }, engine)?.source ?? '', /default block timeout/);
  assert.equal(blockTimeout({ type: 'sensor', timeout: undefined }, engine), undefined);
  assert.equal(blockTimeout({ type: 'sensor', timeout: undefined }, { block_timeout: 60 })?.seconds, 60);
  assert.ok(DEFAULT_BLOCK_TIMEOUT_S >= 3600, 'a month of data over a slow line fits in the default');
});

test('timeout accepts seconds, none or 0, and refuses negatives, text and values past what a timer can hold', () => {
  const block = (timeout: unknown) => blockSpecSchema.safeParse({ id: 'b', type: 'source', kind: 'k', timeout });
  assert.equal(block(30).data?.timeout, 30);
  assert.equal(block('none').data?.timeout, null);
  assert.equal(block(0).data?.timeout, null);
  for (const bad of [-1, 'forever', 3_000_000]) assert.equal(block(bad).success, false, String(bad));
});
