/**
 * Exports have no output: a block downstream of one only runs after it (design.md). SQL and TypeScript transforms,
 * conditions and tests of such a block read only the blocks that have outputs; naming the export in SQL is an error
 * that says so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { createTestRegistry } from './helpers/test-kinds.ts';
import type { PipelineView } from '../renderer/src/api/views.ts';
import { splitUpstream, upstreamText } from '../renderer/src/details/block-inputs.ts';
import { loadProject } from '../main/project/load-project.ts';
import { readPipelineVersion, updatePipeline } from '../main/project/pipeline-writer.ts';
import type { OpenProject } from '../main/runtime/open-project.ts';
import { rowsBlock, sqlBlock, withPipeline } from './helpers/run-project.ts';

const trigger = { kind: 'test' as const };
/** The first row of a query over the workspace, as plain values. */
async function firstRow(open: OpenProject, sql: string): Promise<Record<string, unknown> | undefined> {
  return tableFromIPC((await open.workspace.query(sql, { offset: 0, limit: 1 })).ipc)
    .get(0)
    ?.toJSON();
}

const toFile = { id: 'to_file', type: 'export', kind: 'local_file', upstream: ['src'], config: { path: 'output/src.parquet' } };

test('a SQL transform downstream of an export runs after it and reads its other upstream blocks', async () => {
  const pipeline = { blocks: [rowsBlock('src', { rows: 3 }), toFile, sqlBlock('after_export', ['src', 'to_file'])] };
  await withPipeline(
    pipeline,
    async ({ open, run, events }) => {
      const result = await run({ pipeline: await open.loadPipeline('p'), scope: { kind: 'pipeline' }, trigger });
      const failures = events.flatMap((e) => (e.type === 'block.failed' ? [`${e.blockId}: ${e.error.message}`] : []));
      assert.deepEqual(failures, []);
      assert.equal(result.status, 'succeeded');
      const order = events.flatMap((e) => (e.type === 'block.succeeded' ? [e.blockId] : []));
      assert.ok(order.indexOf('to_file') < order.indexOf('after_export'), `order ${order.join(', ')}`);
      assert.equal(Number((await firstRow(open, 'select n from p.after_export'))?.n), 3);
    },
    { files: { 'blocks/after_export.sql': 'select count(*) as n from src\n' } },
  );
});

test('a SQL transform that selects from an export fails naming the export and saying exports have no output', async () => {
  const pipeline = { blocks: [rowsBlock('src', { rows: 3 }), toFile, sqlBlock('reads_export', ['src', 'to_file'])] };
  await withPipeline(
    pipeline,
    async ({ open, run, events }) => {
      const result = await run({ pipeline: await open.loadPipeline('p'), scope: { kind: 'pipeline' }, trigger });
      assert.equal(result.status, 'failed');
      const failed = events.find((e) => e.type === 'block.failed' && e.blockId === 'reads_export');
      assert.ok(failed?.type === 'block.failed', 'reads_export failed');
      assert.match(failed.error.message, /to_file is an export/);
      assert.match(failed.error.message, /exports have no output/);
      assert.match(failed.error.message, /\bsrc\b/, 'names what it can read instead');
    },
    { files: { 'blocks/reads_export.sql': 'select *\nfrom to_file\n' } },
  );
});

test('a TypeScript transform downstream of an export gets only the outputs of its other upstream blocks', async () => {
  const code = [
    'export default function transform(inputs: Record<string, { numRows: number }>) {',
    '  return [{ names: Object.keys(inputs).join(","), rows: inputs.src?.numRows ?? -1 }];',
    '}',
    '',
  ].join('\n');
  const pipeline = {
    blocks: [
      rowsBlock('src', { rows: 3 }),
      toFile,
      { id: 'ts_after', type: 'transform', kind: 'typescript', file: 'blocks/ts_after.ts', upstream: ['src', 'to_file'] },
    ],
  };
  await withPipeline(
    pipeline,
    async ({ open, run, events }) => {
      const result = await run({ pipeline: await open.loadPipeline('p'), scope: { kind: 'pipeline' }, trigger });
      const failures = events.flatMap((e) => (e.type === 'block.failed' ? [`${e.blockId}: ${e.error.message}`] : []));
      assert.deepEqual(failures, []);
      assert.equal(result.status, 'succeeded');
      const row = await firstRow(open, 'select names, rows from p.ts_after');
      assert.deepEqual([row?.names, Number(row?.rows)], ['src', 3]);
    },
    { files: { 'blocks/ts_after.ts': code } },
  );
});

test('a TypeScript condition on a block downstream of an export is evaluated', async () => {
  const pipeline = {
    blocks: [rowsBlock('src', { rows: 3 }), toFile, sqlBlock('gated', ['src', 'to_file'], { condition: { typescript: 'blocks/gate.ts' } })],
  };
  await withPipeline(
    pipeline,
    async ({ open, run, events }) => {
      const result = await run({ pipeline: await open.loadPipeline('p'), scope: { kind: 'pipeline' }, trigger });
      const failures = events.flatMap((e) => (e.type === 'block.failed' ? [`${e.blockId}: ${e.error.message}`] : []));
      assert.deepEqual(failures, []);
      assert.equal(result.status, 'succeeded');
      assert.ok(events.some((e) => e.type === 'block.succeeded' && e.blockId === 'gated'));
    },
    { files: { 'blocks/gated.sql': 'select * from src\n', 'blocks/gate.ts': 'export default () => true;\n' } },
  );
});

test('condition.over naming an export is refused when the pipeline loads, saying exports have no output', async () => {
  const pipeline = {
    blocks: [
      rowsBlock('src', { rows: 3 }),
      toFile,
      sqlBlock('gated', ['src', 'to_file'], { condition: { sql: 'count(*) > 0', over: 'to_file' } }),
    ],
  };
  await withPipeline(
    pipeline,
    async ({ open }) => {
      await assert.rejects(open.loadPipeline('p'), /condition\.over 'to_file' is an export: exports have no output/);
    },
    { files: { 'blocks/gated.sql': 'select * from src\n' } },
  );
});

test('a SQL block added downstream of an export starts from a query over the blocks it can read', async () => {
  const pipeline = { blocks: [rowsBlock('src', { rows: 3 }), toFile] };
  await withPipeline(
    pipeline,
    async ({ open, temp }) => {
      const project = await loadProject(temp.dir);
      await updatePipeline({
        project,
        kinds: createTestRegistry(),
        pipelineId: 'p',
        expectedVersion: await readPipelineVersion(temp.dir, 'p'),
        edits: [{ op: 'addBlock', block: { id: 'after_export', type: 'transform', kind: 'sql', upstream: ['to_file', 'src'] } }],
      });
      const starter = readFileSync(path.join(temp.dir, 'blocks/after_export.sql'), 'utf8');
      assert.match(starter, /from "?src"?/);
      assert.doesNotMatch(starter, /to_file/);
      const result = await open.run({ pipeline: await open.loadPipeline('p'), scope: { kind: 'pipeline' }, trigger });
      assert.equal(result.status, 'succeeded');
    },
    { kinds: [] },
  );
});

test('the block panel offers completion only for upstream blocks with outputs, and says it runs after the exports', () => {
  const view = {
    blocks: [
      { id: 'src', type: 'source' },
      { id: 'to_file', type: 'export' },
      { id: 'b', type: 'transform' },
    ],
  } as unknown as PipelineView;
  assert.deepEqual(splitUpstream(view, ['to_file', 'src']), { reads: ['src'], after: ['to_file'] });
  assert.equal(upstreamText(view, ['src', 'to_file']), 'reads src · runs after to_file (exports have no output)');
  assert.equal(upstreamText(view, ['src']), 'reads src');
});
