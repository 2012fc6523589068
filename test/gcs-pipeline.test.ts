import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openProject } from '../main/runtime/open-project.ts';
import type { RunEvent } from '../main/model/run-events.ts';
import { createTempProject } from './helpers/temp-project.ts';
import { startGcsFixture } from './helpers/gcs.ts';

test('a pipeline.yaml with export/gcs runs through the engine and the default registry, logging every object', async () => {
  const gcs = await startGcsFixture();
  const temp = createTempProject();
  const rows = ['day,amount', ...Array.from({ length: 30 }, (_, i) => `2024-01-0${(i % 3) + 1},${i}`)];
  temp.writeFile('data/sales.csv', rows.join('\n') + '\n');
  temp.writePipeline('p', {
    blocks: [
      { id: 'sales', type: 'source', kind: 'local_file', config: { path: 'data/sales.csv' } },
      {
        id: 'sales_to_gcs',
        type: 'export',
        kind: 'gcs',
        upstream: ['sales'],
        config: {
          endpoint: gcs.emulator.url,
          bucket: 'lake',
          create_bucket: true,
          path: 'sales',
          partition_by: ['day'],
          compression: 'zstd',
        },
      },
    ],
  });
  const open = await openProject(temp.dir);
  try {
    const events: RunEvent[] = [];
    const result = await open.run({ pipeline: await open.loadPipeline('p'), scope: { kind: 'pipeline' }, trigger: { kind: 'test' } }, (e) =>
      events.push(e),
    );
    assert.equal(result.status, 'succeeded');
    const [files] = await gcs.storage.bucket('lake').getFiles();
    assert.deepEqual(
      files.map((f) => f.name),
      ['sales/day=2024-01-01/part-00000.parquet', 'sales/day=2024-01-02/part-00000.parquet', 'sales/day=2024-01-03/part-00000.parquet'],
    );
    const logged = events
      .filter((e) => e.type === 'log.written' && e.blockId === 'sales_to_gcs')
      .map((e) => (e.type === 'log.written' ? e.message : ''));
    for (const file of files)
      assert.ok(
        logged.some((m) => m.includes(`gs://lake/${file.name} (${file.metadata.size} bytes, 10 rows, crc32c ${file.metadata.crc32c}`)),
        file.name,
      );
    const done = events.find((e) => e.type === 'block.succeeded' && e.blockId === 'sales_to_gcs');
    assert.equal(done?.type === 'block.succeeded' ? done.rowsOut : undefined, 30);
  } finally {
    await open.close();
    temp.cleanup();
    await gcs.close();
  }
});
