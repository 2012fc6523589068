import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openProject, type OpenProject } from '../main/runtime/open-project.ts';
import type { RunEvent } from '../main/model/run-events.ts';
import { createTempProject, type TempProject } from './helpers/temp-project.ts';
import { createTestRegistry } from './helpers/test-kinds.ts';

async function withProject(
  pipeline: Record<string, unknown>,
  body: (ctx: { open: OpenProject; events: RunEvent[]; run: OpenProject['run']; temp: TempProject }) => Promise<void>,
  opts: { settings?: Record<string, unknown>; files?: Record<string, string> } = {},
): Promise<void> {
  const temp = createTempProject(opts.settings);
  temp.writePipeline('p', pipeline);
  for (const [file, text] of Object.entries(opts.files ?? {})) temp.writeFile(file, text);
  const open = await openProject(temp.dir, { kinds: createTestRegistry() });
  const events: RunEvent[] = [];
  try {
    await body({
      open,
      events,
      temp,
      run: (request, onEvent) =>
        open.run(request, (e) => {
          events.push(e);
          onEvent?.(e);
        }),
    });
  } finally {
    await open.close();
    temp.cleanup();
  }
}

const trigger = { kind: 'test' as const };
const source = (id: string, config: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  id,
  type: 'source',
  kind: 'test_rows',
  config,
  ...extra,
});

test('independent blocks run in parallel up to the concurrency limit', async () => {
  for (const concurrency of [1, 3]) {
    await withProject(
      {
        concurrency,
        blocks: [source('a', { rows: 1, delay_ms: 300 }), source('b', { rows: 1, delay_ms: 300 }), source('c', { rows: 1, delay_ms: 300 })],
      },
      async ({ open, run, events }) => {
        const pipeline = await open.loadPipeline('p');
        const result = await run({ pipeline, scope: { kind: 'pipeline' }, trigger });
        assert.equal(result.status, 'succeeded');
        const starts = events.filter((e) => e.type === 'block.started').map((e) => e.at);
        const ends = events.filter((e) => e.type === 'block.succeeded').map((e) => e.at);
        const overlapping = Math.max(...starts) < Math.min(...ends);
        assert.equal(overlapping, concurrency === 3, `concurrency ${concurrency}: starts ${starts} ends ${ends}`);
      },
    );
  }
});

test('a flaky block is retried with backoff and succeeds; its attempts are recorded', async () => {
  await withProject(
    { retry: { retries: 3, delay: 0.05, max_delay: 0.2 }, blocks: [source('flaky', { rows: 5, fail_times: 2 })] },
    async ({ open, run, events }) => {
      const result = await run({ pipeline: await open.loadPipeline('p'), scope: { kind: 'pipeline' }, trigger });
      assert.equal(result.status, 'succeeded');
      assert.equal(result.blocks[0]?.attempts, 3);
      const retries = events.filter((e) => e.type === 'block.retrying');
      assert.equal(retries.length, 2);
      for (const r of retries) if (r.type === 'block.retrying') assert.ok(r.delayMs >= 25 && r.delayMs <= 200, `delay ${r.delayMs}`);
      const detail = open.store.getRun(result.runId);
      assert.equal(detail?.blocks[0]?.attempts, 3);
      assert.equal(detail?.blocks[0]?.status, 'succeeded');
    },
  );
});

test('a permanent error fails on the first attempt and marks downstream upstream_failed; other branches still run', async () => {
  await withProject(
    {
      retry: { retries: 3, delay: 0.01 },
      blocks: [
        source('bad', { rows: 1, fail_times: 9, error: 'user' }),
        { id: 'after_bad', type: 'transform', kind: 'sql', file: 'blocks/after_bad.sql', upstream: ['bad'] },
        source('good', { rows: 7 }),
      ],
    },
    async ({ open, run }) => {
      const result = await run({ pipeline: await open.loadPipeline('p'), scope: { kind: 'pipeline' }, trigger });
      assert.equal(result.status, 'failed');
      const byId = Object.fromEntries(result.blocks.map((x) => [x.id, x]));
      assert.equal(byId.bad?.status, 'failed');
      assert.equal(byId.bad?.attempts, 1);
      assert.match(byId.bad?.error?.message ?? '', /bad config on attempt 1/);
      assert.equal(byId.after_bad?.status, 'upstream_failed');
      assert.equal(byId.good?.status, 'succeeded');
      assert.equal(byId.good?.rows, 7);
    },
    { files: { 'blocks/after_bad.sql': 'select * from bad' } },
  );
});

test('a block that never returns is stopped by its timeout and fails after its retries', async () => {
  await withProject(
    { retry: { retries: 1, delay: 0.01 }, blocks: [source('stuck', { rows: 1, fail_times: 9, error: 'hang' }, { timeout: 0.3 })] },
    async ({ open, run }) => {
      const started = Date.now();
      const result = await run({ pipeline: await open.loadPipeline('p'), scope: { kind: 'pipeline' }, trigger });
      assert.equal(result.status, 'failed');
      assert.equal(result.blocks[0]?.attempts, 2);
      assert.match(result.blocks[0]?.error?.message ?? '', /timed out after 0.3 s/);
      assert.ok(Date.now() - started < 15_000, `took ${Date.now() - started} ms`); // without the timeout it never ends
    },
  );
});

test('cancelling a run stops the running block promptly and cancels the rest', async () => {
  await withProject(
    {
      concurrency: 1,
      blocks: [
        source('slow', { rows: 1, delay_ms: 120_000 }),
        { id: 't', type: 'transform', kind: 'sql', file: 'blocks/t.sql', upstream: ['slow'] },
      ],
    },
    async ({ open, run }) => {
      const controller = new AbortController();
      const pending = run(
        { pipeline: await open.loadPipeline('p'), scope: { kind: 'pipeline' }, trigger, signal: controller.signal },
        (e) => {
          if (e.type === 'block.started') setTimeout(() => controller.abort(), 100);
        },
      );
      const started = Date.now();
      const result = await pending;
      assert.ok(Date.now() - started < 60_000, `cancelled after ${Date.now() - started} ms, not after the block's 120 s`);
      assert.equal(result.status, 'cancelled');
      assert.deepEqual(
        result.blocks.map((x) => x.status),
        ['cancelled', 'cancelled'],
      );
      assert.equal(open.store.getRun(result.runId)?.status, 'cancelled');
    },
    { files: { 'blocks/t.sql': 'select * from slow' } },
  );
});

test('one block re-runs alone against its upstream stored output; with-upstream and downstream select the rest', async () => {
  const pipeline = {
    variables: { n: 3 },
    blocks: [
      source('src', { rows: '{{ n }}' }),
      { id: 'double', type: 'transform', kind: 'sql', file: 'blocks/double.sql', upstream: ['src'] },
      { id: 'top', type: 'transform', kind: 'sql', file: 'blocks/top.sql', upstream: ['double'] },
    ],
  };
  await withProject(
    pipeline,
    async ({ open, run }) => {
      const p = await open.loadPipeline('p');
      await assert.rejects(run({ pipeline: p, scope: { kind: 'block', block: 'double' }, trigger }), /src, which has no stored output yet/);
      const first = await run({ pipeline: p, scope: { kind: 'pipeline' }, trigger });
      assert.equal(first.status, 'succeeded');
      const alone = await run({ pipeline: p, scope: { kind: 'block', block: 'double' }, trigger, variables: { n: 10 } });
      assert.deepEqual(
        alone.blocks.map((x) => [x.id, x.rows]),
        [['double', 6]],
        'reads the stored 3-row src, not a new one',
      );
      const up = await run({ pipeline: p, scope: { kind: 'with-upstream', block: 'double' }, trigger, variables: { n: 10 } });
      assert.deepEqual(
        up.blocks.map((x) => [x.id, x.rows]),
        [
          ['src', 10],
          ['double', 20],
        ],
      );
      const down = await run({ pipeline: p, scope: { kind: 'downstream', block: 'double' }, trigger });
      assert.deepEqual(
        down.blocks.map((x) => x.id),
        ['double', 'top'],
      );
      const preview = await open.workspace.preview('p', 'top', { offset: 0, limit: 5 });
      assert.equal(preview.totalRows, 1);
    },
    {
      files: { 'blocks/double.sql': 'select * from src union all select * from src', 'blocks/top.sql': 'select count(*) as n from double' },
    },
  );
});

test('variables reach SQL and config, overrides win, execution_date is built in, unknown overrides are refused', async () => {
  const pipeline = {
    variables: { who: { default: 'world', description: 'a name' } },
    blocks: [
      source('src', { rows: 1, label: 'hello {{ who }}' }),
      { id: 'q', type: 'transform', kind: 'sql', file: 'blocks/q.sql', upstream: ['src'] },
    ],
  };
  await withProject(
    pipeline,
    async ({ open, run }) => {
      const p = await open.loadPipeline('p');
      const result = await run({
        pipeline: p,
        scope: { kind: 'pipeline' },
        trigger,
        variables: { who: 'taxi', execution_date: '2021-01-31' },
      });
      assert.equal(result.status, 'succeeded', JSON.stringify(result.blocks));
      const rows = await open.workspace.query('select * from p.q', { offset: 0, limit: 1 });
      assert.equal(rows.totalRows, 1);
      const { tableFromIPC } = await import('apache-arrow');
      const row = tableFromIPC(rows.ipc).get(0)?.toJSON();
      assert.equal(row?.label, 'hello taxi');
      assert.equal(row?.ds, '2021-01-31');
      await assert.rejects(run({ pipeline: p, scope: { kind: 'pipeline' }, trigger, variables: { whom: 'x' } }), /unknown variable 'whom'/);
    },
    { files: { 'blocks/q.sql': "select label, '{{ ds }}' as ds from src" } },
  );
});

test('a failing SQL test fails the block with the test name; passing tests are logged as N/N', async () => {
  const pipeline = {
    blocks: [
      source('src', { rows: 10 }),
      {
        id: 'evens',
        type: 'transform',
        kind: 'sql',
        file: 'blocks/evens.sql',
        upstream: ['src'],
        tests: [
          { name: 'only_evens', sql: 'select * from evens where i % 2 = 1' },
          { name: 'not_empty', sql: 'select 1 where (select count(*) from evens) = 0' },
        ],
      },
      {
        id: 'all',
        type: 'transform',
        kind: 'sql',
        file: 'blocks/all.sql',
        upstream: ['src'],
        tests: [{ name: 'only_evens', sql: 'select * from "all" where i % 2 = 1' }],
      },
    ],
  };
  await withProject(
    pipeline,
    async ({ open, run, events }) => {
      const result = await run({ pipeline: await open.loadPipeline('p'), scope: { kind: 'pipeline' }, trigger });
      const byId = Object.fromEntries(result.blocks.map((x) => [x.id, x]));
      assert.equal(byId.evens?.status, 'succeeded');
      assert.equal(byId.all?.status, 'failed');
      assert.match(byId.all?.error?.message ?? '', /test only_evens failed: 5 rows violate it/);
      const logs = events
        .filter((e) => e.type === 'log.written')
        .map((e) => (e.type === 'log.written' ? `${e.blockId}: ${e.message}` : ''));
      assert.ok(logs.includes('evens: 2/2 tests passed'), logs.join('\n'));
      assert.ok(logs.includes('all: 0/1 tests passed'), logs.join('\n'));
      assert.equal(await open.workspace.latestOutput('p', 'all'), undefined, 'a block failing its tests publishes nothing');
    },
    { files: { 'blocks/evens.sql': 'select * from src where i % 2 = 0', 'blocks/all.sql': 'select * from src' } },
  );
});

test('a SQL error names the block, the file and the line', async () => {
  await withProject(
    {
      blocks: [source('src', { rows: 1 }), { id: 'broken', type: 'transform', kind: 'sql', file: 'blocks/broken.sql', upstream: ['src'] }],
    },
    async ({ open, run }) => {
      const result = await run({ pipeline: await open.loadPipeline('p'), scope: { kind: 'pipeline' }, trigger });
      const error = result.blocks[1]?.error;
      assert.equal(error?.kind, 'user');
      assert.equal(error?.place?.block, 'broken');
      assert.equal(error?.place?.file, 'blocks/broken.sql');
      assert.equal(error?.place?.line, 3);
      assert.equal(result.blocks[1]?.attempts, 1, 'a SQL error is not retried');
    },
    {
      settings: { engine: { retry: { retries: 2, delay: 0.01 } } },
      files: { 'blocks/broken.sql': 'select\n  i,\n  no_such_column\nfrom src' },
    },
  );
});

test('a failed run keeps the previous output and the history of earlier runs', async () => {
  await withProject(
    { blocks: [source('src', { rows: 4 }), { id: 'q', type: 'transform', kind: 'sql', file: 'blocks/q.sql', upstream: ['src'] }] },
    async ({ open, run, temp }) => {
      const ok = await run({ pipeline: await open.loadPipeline('p'), scope: { kind: 'pipeline' }, trigger });
      assert.equal(ok.status, 'succeeded');
      temp.writeFile('blocks/q.sql', 'select * from src where');
      const bad = await run({ pipeline: await open.loadPipeline('p'), scope: { kind: 'pipeline' }, trigger });
      assert.equal(bad.status, 'failed');
      assert.equal((await open.workspace.latestOutput('p', 'q'))?.rows, 4);
      assert.equal((await open.workspace.latestOutput('p', 'q'))?.runId, ok.runId);
      const runs = open.store.listRuns({ pipelineId: 'p' });
      assert.deepEqual(
        runs.map((r) => r.status),
        ['failed', 'succeeded'],
      );
    },
    { files: { 'blocks/q.sql': 'select * from src' } },
  );
});
