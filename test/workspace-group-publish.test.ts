import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Workspace } from '../main/data/workspace.ts';

test('publishes arriving together commit together; one that cannot be recorded fails alone, the others are latest', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-group-'));
  const ws = await Workspace.open({ path: path.join(dir, 'workspace.duckdb'), threads: 2, spillDir: path.join(dir, 'spill') });
  try {
    ws.beginRun('r1');
    const written: { blockId: string; physical: string }[] = [];
    for (let i = 0; i < 8; i++) {
      const blockId = `each[${i}]`;
      const session = await ws.openBlockSession({ pipelineId: 'p', blockId, runId: 'r1', attempt: 1, runOutputs: new Map(), readable: [] });
      await session.writeOutputFromQuery(`select ${i} as i`);
      written.push({ blockId, physical: session.outputTable ?? '' });
      await session.close();
    }
    // All at once, as concurrent children do, with one whose table does not exist in the middle.
    const results = await Promise.allSettled([
      ...written.slice(0, 4).map((w) => ws.publish({ pipelineId: 'p', runId: 'r1', rows: 1, ...w })),
      ws.publish({ pipelineId: 'p', blockId: 'ghost', runId: 'r1', physical: 'p__ghost__r1_1', rows: 1 }),
      ...written.slice(4).map((w) => ws.publish({ pipelineId: 'p', runId: 'r1', rows: 1, ...w })),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled', 'fulfilled'],
    );
    assert.match(String((results[4] as PromiseRejectedResult).reason), /p__ghost__r1_1/);
    const latest = await ws.latestOutputs('p');
    assert.deepEqual(latest.map((o) => o.blockId).sort(), written.map((w) => w.blockId).sort());
    assert.equal((await ws.runOutputs('p', 'r1')).length, 8, 'each is a kept output of its run');
    // A later run replaces a child's output; the one before it is no longer kept (keep_last 1).
    ws.beginRun('r2');
    const session = await ws.openBlockSession({
      pipelineId: 'p',
      blockId: 'each[0]',
      runId: 'r2',
      attempt: 1,
      runOutputs: new Map(),
      readable: [],
    });
    await session.writeOutputFromQuery('select 100 as i');
    const physical = session.outputTable ?? '';
    await session.close();
    await ws.publish({ pipelineId: 'p', blockId: 'each[0]', runId: 'r2', physical, rows: 1 });
    assert.deepEqual((await ws.runOutputs('p', 'r1')).map((o) => o.blockId).includes('each[0]'), false);
    assert.equal((await ws.latestOutput('p', 'each[0]'))?.runId, 'r2');
    await ws.endRun('r1');
    await ws.endRun('r2');
  } finally {
    await ws.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
