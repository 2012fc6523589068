import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { OperationalError } from '../main/model/errors.ts';
import type { BlockKind } from '../main/model/block-kind.ts';
import type { RunEvent } from '../main/model/run-events.ts';
import { sqlBlock, withPipeline } from './helpers/run-project.ts';

const trigger = { kind: 'test' as const };
const pipelineScope = { kind: 'pipeline' as const };

/** Attempts per run/child, and how many children run right now (and at most), to observe the scheduler. */
const attempts = new Map<string, number>();
const load = { active: 0, peak: 0 };

const itemConfig = z.strictObject({
  name: z.string(),
  /** The child whose item has this name fails its first `fail_times` attempts. */
  fail_name: z.string().default(''),
  fail_times: z.number().int().min(0).default(0),
  delay_ms: z.number().int().min(0).default(0),
  /** false: no output, the cheapest child there is. */
  write: z.boolean().default(true),
});

/** A child kind that writes its item's name and attempt, and can be told to fail for one item. */
const itemKind: BlockKind<z.infer<typeof itemConfig>> = {
  type: 'source',
  kind: 'test_item',
  title: 'Test item',
  configSchema: itemConfig,
  code: 'none',
  async run(ctx, config) {
    const key = `${ctx.runId}/${ctx.block.id}`;
    const attempt = (attempts.get(key) ?? 0) + 1;
    attempts.set(key, attempt);
    load.active++;
    load.peak = Math.max(load.peak, load.active);
    try {
      if (config.delay_ms > 0) await new Promise((resolve) => setTimeout(resolve, config.delay_ms));
      if (config.name === config.fail_name && attempt <= config.fail_times)
        throw new OperationalError(`item ${config.name} is flaky (attempt ${attempt})`);
      if (!config.write) return { hasOutput: false };
      const rows = await ctx.data.writeOutputFromQuery(`select '${config.name.replaceAll("'", "''")}' as name, ${attempt} as attempt`);
      return { rowsOut: rows, hasOutput: true };
    } finally {
      load.active--;
    }
  },
};

const monthsSql = "select * from (values ('2020-10', 1), ('2020-11', 2), ('2020-12', 3)) as t(month, n)";

test('a dynamic block fans out its downstream once per item; a flaky child is retried alone; reduce unions the children', async () => {
  const pipeline = {
    retry: { retries: 2, delay: 0.01, max_delay: 0.02 },
    blocks: [
      { id: 'months', type: 'transform', kind: 'sql', file: 'blocks/months.sql', upstream: ['seed'], dynamic: true },
      { id: 'seed', type: 'source', kind: 'test_item', config: { name: 'seed' } },
      {
        id: 'load_month',
        type: 'source',
        kind: 'test_item',
        upstream: ['months'],
        reduce: true,
        config: { name: '{{ item.month }}', fail_name: '2020-11', fail_times: 1 },
      },
      sqlBlock('scaled', ['months'], { reduce: true }),
      sqlBlock('report', ['load_month', 'scaled']),
    ],
  };
  const files = {
    'blocks/months.sql': `${monthsSql} where (select count(*) from seed) = 1`,
    'blocks/scaled.sql': "select '{{ item.month }}' as month, {{ item.n }} * 10 as n10",
    'blocks/report.sql': 'select l.name, l.attempt, s.n10 from load_month l join scaled s on s.month = l.name order by l.name',
  };
  await withPipeline(
    pipeline,
    async ({ open, run, events }) => {
      const result = await run({ pipeline: await open.loadPipeline('p'), scope: pipelineScope, trigger });
      assert.equal(result.status, 'succeeded', JSON.stringify(result.blocks));
      const added = events.filter((e): e is Extract<RunEvent, { type: 'block.added' }> => e.type === 'block.added');
      assert.deepEqual(
        added
          .filter((e) => e.parentId === 'load_month')
          .map((e) => e.blockId)
          .sort(),
        ['load_month[0]', 'load_month[1]', 'load_month[2]'],
      );
      const stored = open.store.getRun(result.runId);
      const rows = new Map((stored?.blocks ?? []).map((b) => [b.blockId, b]));
      const flaky = [...rows.values()].find((b) => b.blockId.startsWith('load_month[') && b.attempts === 2);
      assert.ok(flaky, 'the flaky child was retried');
      const others = [...rows.values()].filter((b) => b.blockId.startsWith('load_month[') && b !== flaky);
      assert.deepEqual(
        others.map((b) => [b.attempts, b.status]),
        [
          [1, 'succeeded'],
          [1, 'succeeded'],
        ],
        'the other children ran once',
      );
      assert.equal(flaky.attemptsDetail[0]?.status, 'failed');
      assert.match(flaky.attemptsDetail[0]?.error?.message ?? '', /item 2020-11 is flaky/);
      assert.equal(rows.get('load_month')?.status, 'succeeded');
      assert.equal(rows.get('load_month')?.rowsOut, 3);
      const logs = open.store.getLogs(result.runId, { blockId: flaky.blockId }).map((l) => l.message);
      assert.ok(
        logs.some((m) => m.includes('"month":"2020-11"')),
        logs.join('\n'),
      );
      const report = await open.workspace.query('select * from p.report order by name', { offset: 0, limit: 10 });
      assert.equal(report.totalRows, 3);
      const { tableFromIPC } = await import('apache-arrow');
      const table = tableFromIPC(report.ipc)
        .toArray()
        .map((r) => r.toJSON());
      assert.deepEqual(
        table.map((r) => [r.name, Number(r.attempt), Number(r.n10)]),
        [
          ['2020-10', 1, 10],
          ['2020-11', 2, 20],
          ['2020-12', 1, 30],
        ],
      );
      assert.ok(await open.workspace.latestOutput('p', flaky.blockId), 'a child output is stored like any output');
    },
    { files, kinds: [itemKind] },
  );
});

test('a child that still fails after its retries fails the run; its siblings finish and the downstream is not run', async () => {
  const pipeline = {
    retry: { retries: 1, delay: 0.01, max_delay: 0.02 },
    blocks: [
      { id: 'months', type: 'transform', kind: 'sql', file: 'blocks/months.sql', upstream: ['seed'], dynamic: true },
      { id: 'seed', type: 'source', kind: 'test_item', config: { name: 'seed' } },
      {
        id: 'load_month',
        type: 'source',
        kind: 'test_item',
        upstream: ['months'],
        reduce: true,
        config: { name: '{{ item.month }}', fail_name: '2020-12', fail_times: 5 },
      },
      sqlBlock('report', ['load_month']),
    ],
  };
  const files = {
    'blocks/months.sql': `${monthsSql} where (select count(*) from seed) = 1`,
    'blocks/report.sql': 'select * from load_month',
  };
  await withPipeline(
    pipeline,
    async ({ open, run }) => {
      const result = await run({ pipeline: await open.loadPipeline('p'), scope: pipelineScope, trigger });
      assert.equal(result.status, 'failed');
      const byId = Object.fromEntries(result.blocks.map((b) => [b.id, b]));
      // Its upstream (months) succeeded: the block itself failed, through its children.
      assert.equal(byId.load_month?.status, 'failed');
      assert.equal(byId.report?.status, 'upstream_failed');
      const stored = open.store.getRun(result.runId);
      assert.match(stored?.error?.message ?? '', /item 2020-12 is flaky \(attempt 2\)/);
      const children = (stored?.blocks ?? []).filter((b) => b.blockId.startsWith('load_month['));
      assert.deepEqual(children.map((b) => b.status).sort(), ['failed', 'succeeded', 'succeeded']);
      assert.equal(children.find((b) => b.status === 'failed')?.attempts, 2);
      assert.match(byId.load_month?.error?.message ?? '', /^1 of 3 children failed \(first: load_month\[\d\]: item 2020-12 is flaky/);
    },
    { files, kinds: [itemKind] },
  );
});

test('a dynamic block with zero items skips its downstream with the reason; the run succeeds', async () => {
  const pipeline = {
    blocks: [
      { id: 'seed', type: 'source', kind: 'test_item', config: { name: 'seed' } },
      { id: 'months', type: 'transform', kind: 'sql', file: 'blocks/months.sql', upstream: ['seed'], dynamic: true },
      { id: 'load_month', type: 'source', kind: 'test_item', upstream: ['months'], reduce: true, config: { name: '{{ item.month }}' } },
      sqlBlock('report', ['load_month']),
    ],
  };
  const files = {
    'blocks/months.sql': `${monthsSql} where (select count(*) from seed) = 0`,
    'blocks/report.sql': 'select * from load_month',
  };
  await withPipeline(
    pipeline,
    async ({ open, run }) => {
      const result = await run({ pipeline: await open.loadPipeline('p'), scope: pipelineScope, trigger });
      assert.equal(result.status, 'succeeded');
      const stored = new Map((open.store.getRun(result.runId)?.blocks ?? []).map((b) => [b.blockId, b]));
      assert.equal(stored.get('load_month')?.status, 'skipped');
      assert.equal(stored.get('load_month')?.skipReason, 'dynamic block months yielded no items');
      assert.equal(stored.get('report')?.skipReason, 'upstream block load_month was skipped');
    },
    { files, kinds: [itemKind] },
  );
});

test('many items run lazily: children start only as slots free up, never more at once than the concurrency limit', async () => {
  const items = 300;
  const concurrency = 3;
  const pipeline = {
    concurrency,
    blocks: [
      { id: 'seed', type: 'source', kind: 'test_item', config: { name: 'seed' } },
      { id: 'ids', type: 'transform', kind: 'sql', file: 'blocks/ids.sql', upstream: ['seed'], dynamic: true },
      { id: 'touch', type: 'source', kind: 'test_item', upstream: ['ids'], config: { name: 'n{{ item.i }}', write: false, delay_ms: 2 } },
    ],
  };
  await withPipeline(
    pipeline,
    async ({ open, run }) => {
      load.peak = 0;
      let added = 0;
      let addedWhenFirstDone: number | undefined;
      const result = await run({ pipeline: await open.loadPipeline('p'), scope: pipelineScope, trigger }, (e) => {
        if (e.type === 'block.added') added++;
        if (e.type === 'block.succeeded' && e.blockId.startsWith('touch[') && addedWhenFirstDone === undefined) addedWhenFirstDone = added;
      });
      assert.equal(result.status, 'succeeded');
      assert.equal(added, items);
      assert.ok(load.peak <= concurrency && load.peak >= 2, `peak ${load.peak}`);
      assert.ok(
        addedWhenFirstDone !== undefined && addedWhenFirstDone <= concurrency,
        `children added before the first finished: ${addedWhenFirstDone}`,
      );
      const stored = open.store.getRun(result.runId);
      assert.equal(stored?.blocks.filter((b) => b.blockId.startsWith('touch[') && b.status === 'succeeded').length, items);
      assert.equal(stored?.blocks.find((b) => b.blockId === 'touch')?.rowsOut, 0);
      assert.deepEqual(
        stored?.blocks.find((b) => b.blockId === 'touch')?.progress?.done,
        items,
        'the parent row counts its finished children',
      );
    },
    {
      files: { 'blocks/ids.sql': `select range::INTEGER as i from range(${items}) where (select count(*) from seed) = 1` },
      kinds: [itemKind],
    },
  );
});

test('reduce unions more children than one SQL statement holds (batches add to the output)', async () => {
  const items = 120;
  const pipeline = {
    concurrency: 4,
    blocks: [
      { id: 'seed', type: 'source', kind: 'test_item', config: { name: 'seed' } },
      { id: 'ids', type: 'transform', kind: 'sql', file: 'blocks/ids.sql', upstream: ['seed'], dynamic: true },
      sqlBlock('each', ['ids'], { reduce: true }),
    ],
  };
  const files = {
    'blocks/ids.sql': `select range::INTEGER as i from range(${items}) where (select count(*) from seed) = 1`,
    // Children differ in their columns: the union matches them by name and fills the gaps with NULL.
    'blocks/each.sql': "select {{ item.i }} as i, case when {{ item.i }} % 2 = 0 then 'even' end as even_label",
  };
  await withPipeline(
    pipeline,
    async ({ open, run }) => {
      const result = await run({ pipeline: await open.loadPipeline('p'), scope: pipelineScope, trigger });
      assert.equal(result.status, 'succeeded');
      const summary = await open.workspace.query('select count(*) as n, sum(i) as total, count(even_label) as evens from p.each', {
        offset: 0,
        limit: 1,
      });
      const { tableFromIPC } = await import('apache-arrow');
      const row = tableFromIPC(summary.ipc).get(0)?.toJSON();
      assert.deepEqual([Number(row?.n), Number(row?.total), Number(row?.evens)], [items, (items * (items - 1)) / 2, items / 2]);
    },
    { files, kinds: [itemKind] },
  );
});

test('an item column keeps its type in config: a number field can take {{ item.n }} (checked when the child runs)', async () => {
  const pipeline = {
    blocks: [
      { id: 'seed', type: 'source', kind: 'test_item', config: { name: 'seed' } },
      { id: 'sizes', type: 'transform', kind: 'sql', file: 'blocks/sizes.sql', upstream: ['seed'], dynamic: true },
      {
        id: 'make',
        type: 'source',
        kind: 'test_rows',
        upstream: ['sizes'],
        reduce: true,
        config: { rows: '{{ item.n }}', label: 'size {{ item.n }}' },
      },
    ],
  };
  const files = { 'blocks/sizes.sql': 'select * from (values (2), (3), (-1)) as t(n) where (select count(*) from seed) = 1' };
  await withPipeline(
    pipeline,
    async ({ open, run }) => {
      const result = await run({ pipeline: await open.loadPipeline('p'), scope: pipelineScope, trigger });
      assert.equal(result.status, 'failed', 'the child given -1 rows fails its config check');
      const children = open.store.getRun(result.runId)?.blocks.filter((b) => b.blockId.startsWith('make[')) ?? [];
      assert.deepEqual(
        children.map((b) => [b.blockId, b.status, b.rowsOut]),
        [
          ['make[0]', 'failed', null],
          ['make[1]', 'succeeded', 2],
          ['make[2]', 'succeeded', 3],
        ],
      );
      assert.match(children[0]?.error?.message ?? '', /config\.rows/);
    },
    { files, kinds: [itemKind] },
  );
});

test('cancelling a run during a fan-out stops the running children and starts no more', async () => {
  const pipeline = {
    concurrency: 2,
    blocks: [
      { id: 'seed', type: 'source', kind: 'test_item', config: { name: 'seed' } },
      { id: 'ids', type: 'transform', kind: 'sql', file: 'blocks/ids.sql', upstream: ['seed'], dynamic: true },
      {
        id: 'slow',
        type: 'source',
        kind: 'test_rows',
        upstream: ['ids'],
        reduce: true,
        config: { rows: 1, delay_ms: 120_000, label: 'n{{ item.i }}' },
      },
    ],
  };
  await withPipeline(
    pipeline,
    async ({ open, run }) => {
      const controller = new AbortController();
      let added = 0;
      const started = Date.now();
      const result = await run(
        { pipeline: await open.loadPipeline('p'), scope: pipelineScope, trigger, signal: controller.signal },
        (e) => {
          if (e.type === 'block.added' && ++added === 2) setTimeout(() => controller.abort(), 100);
        },
      );
      assert.ok(Date.now() - started < 60_000, `cancelled after ${Date.now() - started} ms, not after the children's 120 s`);
      assert.equal(result.status, 'cancelled');
      assert.equal(added, 2, 'no child starts after the cancel');
      const stored = open.store.getRun(result.runId);
      assert.equal(stored?.status, 'cancelled');
      assert.deepEqual(
        stored?.blocks.filter((b) => b.blockId.startsWith('slow')).map((b) => b.status),
        ['cancelled', 'cancelled', 'cancelled'],
      );
    },
    { files: { 'blocks/ids.sql': 'select range::INTEGER as i from range(50) where (select count(*) from seed) = 1' }, kinds: [itemKind] },
  );
});

test('fan-out mistakes are refused at load: reading an unreduced fan-out, reduce without a dynamic upstream, nested fan-outs', async () => {
  const base = [
    { id: 'seed', type: 'source', kind: 'test_item', config: { name: 'seed' } },
    { id: 'ids', type: 'transform', kind: 'sql', file: 'blocks/ids.sql', upstream: ['seed'], dynamic: true },
  ];
  const files = { 'blocks/ids.sql': 'select 1 as i', 'blocks/after.sql': 'select * from each' };
  const cases: [Record<string, unknown>[], RegExp][] = [
    [
      [{ id: 'each', type: 'source', kind: 'test_item', upstream: ['ids'], config: { name: '{{ item.i }}' } }, sqlBlock('after', ['each'])],
      /add reduce: true to each/,
    ],
    [[sqlBlock('after', ['seed'], { reduce: true })], /reduce: true but no dynamic upstream block/],
    [
      [{ id: 'each', type: 'source', kind: 'test_item', upstream: ['ids'], dynamic: true, config: { name: 'x' } }],
      /cannot be dynamic itself/,
    ],
  ];
  for (const [extra, expected] of cases) {
    await withPipeline(
      { blocks: [...base, ...extra] },
      async ({ open }) => {
        await assert.rejects(open.loadPipeline('p'), expected);
      },
      { files, kinds: [itemKind] },
    );
  }
});
