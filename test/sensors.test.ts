import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tableFromIPC } from 'apache-arrow';
import { startFileServer } from './helpers/http-server.ts';
import { startGcsFixture } from './helpers/gcs.ts';
import { rowsBlock, withPipeline, type ProjectRun } from './helpers/run-project.ts';
import { waitUntil } from './helpers/wait-until.ts';
import type { RunEvent } from '../main/model/run-events.ts';

const trigger = { kind: 'test' as const };
const pipelineScope = { kind: 'pipeline' as const };
const fast = { interval_seconds: 0.05, timeout_seconds: 20 };

function sensor(kind: string, config: Record<string, unknown>): Record<string, unknown> {
  return { id: 'wait', type: 'sensor', kind, config: { ...fast, ...config } };
}

/** A run-event listener that makes the sensor's target appear once its first check has missed (its first progress). */
function afterFirstMiss(appear: () => void): (event: RunEvent) => void {
  return (event) => {
    if (event.type === 'block.progressed' && event.done === 1) appear();
  };
}

/** The sensor's one-row output. */
async function sensorRow(open: ProjectRun['open']): Promise<Record<string, unknown>> {
  const result = await open.workspace.query('select * from p.wait', { offset: 0, limit: 1 });
  return tableFromIPC(result.ipc).get(0)?.toJSON() ?? {};
}

test('a file sensor waits until the file appears, then outputs what it found and when', async () => {
  await withPipeline(
    {
      blocks: [
        sensor('file', { path: 'landing/ready.csv' }),
        { id: 'after', type: 'transform', kind: 'sql', file: 'blocks/after.sql', upstream: ['wait'] },
      ],
    },
    async ({ open, run, temp }) => {
      const result = await run(
        { pipeline: await open.loadPipeline('p'), scope: pipelineScope, trigger },
        afterFirstMiss(() => temp.writeFile('landing/ready.csv', 'a\n1\n')),
      );
      assert.equal(result.status, 'succeeded', JSON.stringify(result.blocks));
      const row = await sensorRow(open);
      assert.equal(row.found, 'landing/ready.csv');
      assert.ok(Number(row.checks) >= 2, `checked ${row.checks} times`);
      assert.ok(row.found_at instanceof Date || typeof row.found_at === 'number');
    },
    { files: { 'blocks/after.sql': 'select * from wait' } },
  );
});

test('a file sensor with a glob matches any file of the pattern', async () => {
  await withPipeline({ blocks: [sensor('file', { path: 'landing/**/*.parquet' })] }, async ({ open, run, temp }) => {
    temp.writeFile('landing/2020/10/part-0.parquet', 'x');
    temp.writeFile('landing/2020/10/part-1.parquet', 'x');
    const result = await run({ pipeline: await open.loadPipeline('p'), scope: pipelineScope, trigger });
    assert.equal(result.status, 'succeeded');
    assert.equal((await sensorRow(open)).found, 'landing/2020/10/part-0.parquet and 1 more');
  });
});

test('a sensor that never sees its target fails with a TimeoutError naming what it waited for', async () => {
  await withPipeline(
    { blocks: [sensor('file', { path: 'never/there.csv', interval_seconds: 0.05, timeout_seconds: 0.3 })] },
    async ({ open, run }) => {
      const started = Date.now();
      const result = await run({ pipeline: await open.loadPipeline('p'), scope: pipelineScope, trigger });
      assert.equal(result.status, 'failed');
      const error = result.blocks[0]?.error;
      assert.equal(error?.kind, 'operational');
      assert.match(error?.message ?? '', /timed out after 0\.3 s waiting for file never\/there\.csv \(\d+ checks\)/);
      assert.ok(Date.now() - started >= 300);
    },
  );
});

test('cancelling a run stops a waiting sensor at once', async () => {
  await withPipeline(
    { blocks: [sensor('file', { path: 'never.csv', interval_seconds: 60, timeout_seconds: 3600 })] },
    async ({ open, run }) => {
      const controller = new AbortController();
      // Cancelled while it sleeps until its next check, 60 s away.
      const pending = run(
        { pipeline: await open.loadPipeline('p'), scope: pipelineScope, trigger, signal: controller.signal },
        afterFirstMiss(() => controller.abort()),
      );
      const started = Date.now();
      const result = await pending;
      assert.equal(result.status, 'cancelled');
      assert.equal(result.blocks[0]?.status, 'cancelled');
      assert.ok(Date.now() - started < 20_000, `stopped after ${Date.now() - started} ms`); // its next check is 60 s away
    },
  );
});

test('an http sensor waits for a URL to answer 200 (404 before that)', async () => {
  const server = await startFileServer();
  try {
    await withPipeline({ blocks: [sensor('http', { url: `${server.url}/status/ready` })] }, async ({ open, run }) => {
      const result = await run(
        { pipeline: await open.loadPipeline('p'), scope: pipelineScope, trigger },
        afterFirstMiss(() => server.serve('/status/ready', Buffer.from('ok'))),
      );
      assert.equal(result.status, 'succeeded');
      assert.ok(server.requests('/status/ready') >= 2, `requests: ${server.requests('/status/ready')}`);
      assert.equal((await sensorRow(open)).found, `HTTP 200 from ${server.url}/status/ready`);
    });
  } finally {
    await server.close();
  }
});

test('a gcs_object sensor waits for an object in the emulator', async () => {
  const gcs = await startGcsFixture();
  try {
    await gcs.storage.createBucket('landing');
    const config = { endpoint: gcs.emulator.url, project_id: 'test-project', bucket: 'landing', object: 'green/2020-10/_SUCCESS' };
    await withPipeline({ blocks: [sensor('gcs_object', config)] }, async ({ open, run }) => {
      const appear = () => void gcs.storage.bucket('landing').file('green/2020-10/_SUCCESS').save('done');
      const result = await run({ pipeline: await open.loadPipeline('p'), scope: pipelineScope, trigger }, afterFirstMiss(appear));
      assert.equal(result.status, 'succeeded', JSON.stringify(result.blocks[0]?.error));
      const row = await sensorRow(open);
      assert.equal(row.found, 'gs://landing/green/2020-10/_SUCCESS');
      assert.ok(Number(row.checks) >= 2);
    });
  } finally {
    await gcs.close();
  }
});

test('sql and pipeline_run sensors wait for another pipeline to produce its output and succeed', async () => {
  const pipeline = {
    blocks: [
      { id: 'wait', type: 'sensor', kind: 'pipeline_run', config: { ...fast, pipeline: 'other', since_execution_date: true } },
      { id: 'rows_ready', type: 'sensor', kind: 'sql', config: { ...fast, query: 'select count(*) >= 3 from other.produce' } },
    ],
  };
  await withPipeline(pipeline, async ({ open, run, temp, events }) => {
    temp.writePipeline('other', { blocks: [rowsBlock('produce', { rows: 3 })] });
    const waiting = run({ pipeline: await open.loadPipeline('p'), scope: pipelineScope, trigger });
    await waitUntil(() => events.some((e) => e.type === 'log.written' && e.blockId === 'wait' && e.message.startsWith('waiting for')), {
      what: 'the pipeline_run sensor to start waiting',
    });
    const other = await open.run({ pipeline: await open.loadPipeline('other'), scope: pipelineScope, trigger });
    assert.equal(other.status, 'succeeded');
    const result = await waiting;
    assert.equal(result.status, 'succeeded', JSON.stringify(result.blocks));
    assert.match(String((await sensorRow(open)).found), new RegExp(`^run ${other.runId} \\(succeeded `));
    const checks = open.store.getRun(result.runId)?.blocks.find((b) => b.blockId === 'rows_ready');
    assert.equal(checks?.status, 'succeeded');
  });
});

test('a pipeline_run sensor is not satisfied by a failed latest run', async () => {
  await withPipeline(
    {
      blocks: [
        { id: 'wait', type: 'sensor', kind: 'pipeline_run', config: { pipeline: 'other', interval_seconds: 0.05, timeout_seconds: 0.4 } },
      ],
    },
    async ({ open, run, temp }) => {
      temp.writePipeline('other', {
        blocks: [rowsBlock('produce', { rows: 1 }), rowsBlock('broken', { rows: 1, fail_times: 5, error: 'user' })],
      });
      assert.equal((await open.run({ pipeline: await open.loadPipeline('other'), scope: pipelineScope, trigger })).status, 'failed');
      const result = await run({ pipeline: await open.loadPipeline('p'), scope: pipelineScope, trigger });
      assert.equal(result.status, 'failed');
      assert.match(result.blocks[0]?.error?.message ?? '', /waiting for a successful run of other/);
    },
  );
});
