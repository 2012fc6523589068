import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { createRunReporter } from '../main/cli/run-reporter.ts';
import { rowsBlock, sqlBlock, withPipeline } from './helpers/run-project.ts';

const trigger = { kind: 'test' as const };
const pipelineScope = { kind: 'pipeline' as const };

test('a false SQL condition skips the block and its downstream with the reason; the run still succeeds', async () => {
  const pipeline = {
    blocks: [
      rowsBlock('src', { rows: 0 }),
      sqlBlock('load', ['src'], { condition: { sql: 'count(*) > 0', over: 'src' } }),
      sqlBlock('report', ['load']),
      sqlBlock('always', ['src']),
    ],
  };
  const files = {
    'blocks/load.sql': 'select * from src',
    'blocks/report.sql': 'select count(*) as n from load',
    'blocks/always.sql': 'select count(*) as n from src',
  };
  await withPipeline(
    pipeline,
    async ({ open, run }) => {
      const result = await run({ pipeline: await open.loadPipeline('p'), scope: pipelineScope, trigger });
      assert.equal(result.status, 'succeeded');
      const status = Object.fromEntries(result.blocks.map((b) => [b.id, b.status]));
      assert.deepEqual(status, { src: 'succeeded', load: 'skipped', report: 'skipped', always: 'succeeded' });
      const stored = open.store.getRun(result.runId);
      assert.equal(stored?.status, 'succeeded');
      const rows = Object.fromEntries((stored?.blocks ?? []).map((b) => [b.blockId, b]));
      assert.equal(rows.load?.status, 'skipped');
      assert.equal(rows.load?.skipReason, 'condition false: count(*) > 0');
      assert.equal(rows.load?.attempts, 0, 'a skipped block never started');
      assert.equal(rows.report?.skipReason, 'upstream block load was skipped');
      assert.equal(await open.workspace.latestOutput('p', 'load'), undefined);
    },
    { files },
  );
});

test('a true SQL condition (with a variable) lets the block run', async () => {
  const pipeline = {
    variables: { min_rows: 3 },
    blocks: [rowsBlock('src', { rows: 5 }), sqlBlock('load', ['src'], { condition: { sql: 'count(*) >= {{ min_rows }}', over: 'src' } })],
  };
  await withPipeline(
    pipeline,
    async ({ open, run }) => {
      const p = await open.loadPipeline('p');
      const ran = await run({ pipeline: p, scope: pipelineScope, trigger });
      assert.deepEqual(
        ran.blocks.map((b) => [b.id, b.status, b.rows]),
        [
          ['src', 'succeeded', 5],
          ['load', 'succeeded', 5],
        ],
      );
      const skipped = await run({ pipeline: p, scope: pipelineScope, trigger, variables: { min_rows: 6 } });
      assert.equal(skipped.blocks[1]?.status, 'skipped');
      assert.equal(open.store.getRun(skipped.runId)?.blocks[1]?.skipReason, 'condition false: count(*) >= {{ min_rows }}');
    },
    { files: { 'blocks/load.sql': 'select * from src' } },
  );
});

test('a TypeScript condition decides from the run variables, in a worker', async () => {
  const pipeline = {
    variables: { mode: 'full' },
    blocks: [rowsBlock('src', { rows: 2 }), sqlBlock('full_load', ['src'], { condition: { typescript: 'conditions/is_full.ts' } })],
  };
  const files = {
    'blocks/full_load.sql': 'select * from src',
    'conditions/is_full.ts': 'export default async (ctx: { variables: Record<string, unknown> }) => ctx.variables.mode === "full";\n',
  };
  await withPipeline(
    pipeline,
    async ({ open, run }) => {
      const p = await open.loadPipeline('p');
      const full = await run({ pipeline: p, scope: pipelineScope, trigger });
      assert.equal(full.blocks[1]?.status, 'succeeded');
      const partial = await run({ pipeline: p, scope: pipelineScope, trigger, variables: { mode: 'partial' } });
      assert.equal(partial.status, 'succeeded');
      assert.equal(partial.blocks[1]?.status, 'skipped');
      assert.equal(open.store.getRun(partial.runId)?.blocks[1]?.skipReason, 'condition false: conditions/is_full.ts');
    },
    { files },
  );
});

test('a condition that cannot be evaluated fails the block, naming the block and the field', async () => {
  const pipeline = {
    blocks: [
      rowsBlock('src', { rows: 2 }),
      sqlBlock('bad_sql', ['src'], { condition: { sql: 'count(no_such_column) > 0', over: 'src' } }),
      sqlBlock('not_boolean', ['src'], { condition: { sql: 'count(*)', over: 'src' } }),
      sqlBlock('many_rows', ['src'], { condition: { sql: 'i > 0', over: 'src' } }),
      sqlBlock('bad_ts', ['src'], { condition: { typescript: 'conditions/number.ts' } }),
      sqlBlock('after', ['bad_sql']),
    ],
  };
  const files = {
    'blocks/bad_sql.sql': 'select * from src',
    'blocks/not_boolean.sql': 'select * from src',
    'blocks/many_rows.sql': 'select * from src',
    'blocks/bad_ts.sql': 'select * from src',
    'blocks/after.sql': 'select * from bad_sql',
    'conditions/number.ts': 'export default () => 42;\n',
  };
  await withPipeline(
    pipeline,
    async ({ open, run }) => {
      const result = await run({ pipeline: await open.loadPipeline('p'), scope: pipelineScope, trigger });
      assert.equal(result.status, 'failed');
      const byId = Object.fromEntries(result.blocks.map((b) => [b.id, b]));
      assert.equal(byId.bad_sql?.status, 'failed');
      assert.equal(byId.bad_sql?.error?.place?.block, 'bad_sql');
      assert.equal(byId.bad_sql?.error?.place?.path, 'condition.sql');
      assert.match(byId.bad_sql?.error?.message ?? '', /no_such_column/);
      assert.match(byId.not_boolean?.error?.message ?? '', /gave "2", not a boolean/);
      assert.match(byId.many_rows?.error?.message ?? '', /gave 2 rows over src; it must give one/);
      assert.equal(byId.bad_ts?.error?.place?.path, 'condition.typescript');
      assert.match(byId.bad_ts?.error?.message ?? '', /returned "42", not true or false/);
      assert.equal(byId.after?.status, 'upstream_failed');
      assert.equal(open.store.getRun(result.runId)?.blocks.find((b) => b.blockId === 'bad_sql')?.status, 'failed');
    },
    { files },
  );
});

test('condition.over must be one of the block upstream blocks (refused at load, at its line)', async () => {
  const pipeline = {
    blocks: [
      rowsBlock('src', { rows: 1 }),
      rowsBlock('other', { rows: 1 }),
      sqlBlock('load', ['src'], { condition: { sql: 'true', over: 'other' } }),
    ],
  };
  await withPipeline(
    pipeline,
    async ({ open }) => {
      await assert.rejects(open.loadPipeline('p'), /condition\.over 'other' is not one of its upstream blocks \(src\)/);
    },
    { files: { 'blocks/load.sql': 'select * from src' } },
  );
});

test('pipewright run output shows a skipped block with its reason', async () => {
  const pipeline = {
    blocks: [rowsBlock('src', { rows: 0 }), sqlBlock('load', ['src'], { condition: { sql: 'count(*) > 0', over: 'src' } })],
  };
  await withPipeline(
    pipeline,
    async ({ open, run }) => {
      const stream = new PassThrough();
      let text = '';
      stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
      const reporter = createRunReporter(stream as unknown as NodeJS.WriteStream);
      await run({ pipeline: await open.loadPipeline('p'), scope: pipelineScope, trigger }, reporter.onEvent);
      assert.match(text, /load skipped: condition false: count\(\*\) > 0/);
      assert.match(text, /run succeeded/);
    },
    { files: { 'blocks/load.sql': 'select * from src' } },
  );
});
