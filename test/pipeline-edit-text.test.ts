import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createDefaultRegistry } from '../main/blocks/index.ts';
import { loadProject } from '../main/project/load-project.ts';
import { readPipelineVersion, updatePipeline } from '../main/project/pipeline-writer.ts';
import type { PipelineEdit } from '../main/project/pipeline-edits.ts';
import { createTempProject, type TempProject } from './helpers/temp-project.ts';

const kinds = createDefaultRegistry();

/** Written by hand, the way people do: a folded description, padded flow maps, a dynamic block and its child. */
const YAML = `name: Months
description: >
  Loads one file per month, fanned out from a
  dynamic block, and keeps only the useful rows.
variables:
  base: { default: "https://example.com/data", description: where the files are }
blocks:
  - id: months
    type: source
    kind: sql
    file: blocks/months.sql
    dynamic: true

  - id: load_month
    type: source
    kind: http_file
    upstream: [months]
    reduce: true
    config:
      url: "{{ base }}/{{ item.url }}"
      format: csv
      columns: { id: BIGINT, name: VARCHAR }

  - id: keep_rows
    type: transform
    kind: sql
    file: blocks/keep_rows.sql
    upstream: [ load_month ]
`;

function setup(): { temp: TempProject; file: string } {
  const temp = createTempProject();
  temp.writeFile('pipelines/months/pipeline.yaml', YAML);
  temp.writeFile('blocks/months.sql', "select 'a.csv' as url\n");
  temp.writeFile('blocks/keep_rows.sql', 'select * from load_month\n');
  return { temp, file: path.join(temp.dir, 'pipelines/months/pipeline.yaml') };
}

async function edit(temp: TempProject, edits: PipelineEdit[]): Promise<void> {
  const project = await loadProject(temp.dir);
  const expectedVersion = await readPipelineVersion(temp.dir, 'months');
  await updatePipeline({ project, kinds, pipelineId: 'months', expectedVersion, edits });
}

/** The lines of `after` that differ from `before`, by position (both texts have the same number of lines here). */
function changedLines(before: string, after: string): string[] {
  const a = before.split('\n');
  const b = after.split('\n');
  assert.equal(a.length, b.length, `same number of lines expected:\n${after}`);
  return b.filter((line, i) => line !== a[i]);
}

test('a pipeline with a dynamic block accepts canvas edits: its children may use {{ item.* }}', async () => {
  const { temp } = setup();
  try {
    await edit(temp, [{ op: 'updateBlock', blockId: 'keep_rows', patch: { description: 'rows with a name' } }]);
    assert.match(readFileSync(path.join(temp.dir, 'pipelines/months/pipeline.yaml'), 'utf8'), /description: rows with a name/);
  } finally {
    temp.cleanup();
  }
});

test('item.* is still refused in a block that is no child of a dynamic block', async () => {
  const { temp, file } = setup();
  try {
    const block = { id: 'stray', type: 'source', kind: 'http_file', config: { url: '{{ item.url }}', format: 'csv' } } as const;
    await assert.rejects(edit(temp, [{ op: 'addBlock', block }]), /item/);
    assert.equal(readFileSync(file, 'utf8'), YAML);
  } finally {
    temp.cleanup();
  }
});

test('moving blocks leaves pipeline.yaml byte-identical (only layout.json changes)', async () => {
  const { temp, file } = setup();
  try {
    await edit(temp, [{ op: 'moveBlocks', positions: { months: { x: 10, y: 20 }, load_month: { x: 300, y: 20 } } }]);
    assert.equal(readFileSync(file, 'utf8'), YAML);
    assert.deepEqual(JSON.parse(readFileSync(path.join(temp.dir, 'pipelines/months/layout.json'), 'utf8')), {
      nodes: { months: { x: 10, y: 20 }, load_month: { x: 300, y: 20 } },
    });
  } finally {
    temp.cleanup();
  }
});

test('a config edit changes only the line it touches: folded descriptions and padded flow maps stay as written', async () => {
  const { temp, file } = setup();
  try {
    const config = { url: '{{ base }}/{{ item.url }}', format: 'csv', columns: { id: 'BIGINT', name: 'VARCHAR' }, header: true };
    await edit(temp, [{ op: 'updateBlock', blockId: 'load_month', patch: { config } }]);
    const text = readFileSync(file, 'utf8');
    assert.equal(text.replace('      header: true\n', ''), YAML, `only the new key is added:\n${text}`);
    writeFileSync(file, YAML);
    await edit(temp, [
      { op: 'updateBlock', blockId: 'load_month', patch: { config: { ...config, header: undefined, format: 'parquet' } } },
    ]);
    assert.deepEqual(changedLines(YAML, readFileSync(file, 'utf8')), ['      format: parquet']);
  } finally {
    temp.cleanup();
  }
});

test('a rename changes only the id and the upstream lists that name the block', async () => {
  const { temp, file } = setup();
  try {
    await edit(temp, [{ op: 'renameBlock', from: 'load_month', to: 'load_months' }]);
    assert.deepEqual(changedLines(YAML, readFileSync(file, 'utf8')), ['  - id: load_months', '    upstream: [load_months]']);
  } finally {
    temp.cleanup();
  }
});

test('a new block gets a code file of its own when its name is free but the file belongs to a renamed block', async () => {
  const { temp, file } = setup();
  try {
    await edit(temp, [{ op: 'renameBlock', from: 'keep_rows', to: 'useful_rows' }]);
    await edit(temp, [{ op: 'addBlock', block: { id: 'keep_rows', type: 'transform', kind: 'sql', upstream: ['load_month'] } }]);
    const text = readFileSync(file, 'utf8');
    assert.match(text, /- id: useful_rows\n\s+type: transform\n\s+kind: sql\n\s+file: blocks\/keep_rows.sql/);
    const added = /- id: keep_rows\n\s+type: transform\n\s+kind: sql\n\s+file: (\S+)/.exec(text)?.[1];
    assert.ok(added && added !== 'blocks/keep_rows.sql', `the new block has its own file, not the renamed block's: ${added}`);
    assert.equal(
      readFileSync(path.join(temp.dir, 'blocks/keep_rows.sql'), 'utf8'),
      'select * from load_month\n',
      'the renamed block keeps its code',
    );
    assert.match(readFileSync(path.join(temp.dir, added), 'utf8'), /from "load_month"/);
  } finally {
    temp.cleanup();
  }
});
