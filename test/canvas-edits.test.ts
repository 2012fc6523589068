import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createDefaultRegistry } from '../main/blocks/index.ts';
import { loadProject } from '../main/project/load-project.ts';
import { loadPipeline } from '../main/project/load-pipeline.ts';
import type { PipelineEdit } from '../main/project/pipeline-edits.ts';
import type { Project } from '../main/model/project.ts';
import { readPipelineVersion, updatePipeline } from '../main/project/pipeline-writer.ts';
import type { PipelineView } from '../renderer/src/api/views.ts';
import { inverseOf } from '../renderer/src/editing/inverse-edits.ts';
import { pasteEdits, copyBlocks, uniqueBlockId } from '../renderer/src/editing/block-factory.ts';
import { createTempProject } from './helpers/temp-project.ts';

const kinds = createDefaultRegistry();
const YAML = `name: Orders
blocks:
  - id: load
    type: source
    kind: http_file
    config:
      url: https://example.com/orders.csv
  - id: clean
    type: transform
    kind: sql
    file: blocks/clean.sql
    upstream: [load]
    description: drops test orders
  - id: out
    type: export
    kind: local_file
    upstream: [clean]
    config:
      path: exports/out.parquet
`;

/** What pipelines.get sends the UI: the loaded pipeline with its code text and version. */
async function viewOf(project: Project, id: string): Promise<PipelineView> {
  const pipeline = await loadPipeline(project, id, kinds);
  return {
    id,
    version: await readPipelineVersion(project.dir, id),
    spec: pipeline.spec,
    layout: pipeline.layout,
    blocks: pipeline.blocks.map((b) => ({ ...b, code: b.code?.text ?? null })),
  };
}

async function write(project: Project, view: PipelineView, edits: PipelineEdit[]): Promise<void> {
  await updatePipeline({ project, kinds, pipelineId: view.id, expectedVersion: view.version, edits });
}

const CASES: [string, PipelineEdit[]][] = [
  [
    'removing a middle block with the blocks after it',
    [
      { op: 'removeBlock', blockId: 'out' },
      { op: 'removeBlock', blockId: 'clean' },
    ],
  ],
  ['renaming a block that others read', [{ op: 'renameBlock', from: 'load', to: 'load_orders' }]],
  [
    'changing config and description, and clearing the description',
    [
      { op: 'updateBlock', blockId: 'load', patch: { config: { url: 'https://example.com/other.csv', format: 'csv' } } },
      { op: 'updateBlock', blockId: 'clean', patch: { description: null, code: 'select 1 as one\n' } },
    ],
  ],
  [
    'adding a block and connecting it',
    [
      { op: 'addBlock', block: { id: 'extra', type: 'transform', kind: 'sql', upstream: ['load'] }, position: { x: 5, y: 6 } },
      { op: 'connect', from: 'extra', to: 'out' },
    ],
  ],
];

for (const [name, edits] of CASES) {
  test(`undo restores pipeline.yaml and the code after ${name}`, async () => {
    const temp = createTempProject();
    try {
      temp.writeFile('pipelines/p/pipeline.yaml', YAML);
      temp.writeFile('blocks/clean.sql', 'select * from "load" where not is_test\n');
      const project = await loadProject(temp.dir);
      const before = await viewOf(project, 'p');
      const inverse = inverseOf(before, edits, {});
      await write(project, before, edits);
      const changed = await viewOf(project, 'p');
      assert.notDeepEqual(changed.blocks, before.blocks);
      await write(project, changed, inverse);
      const restored = await viewOf(project, 'p');
      assert.deepEqual(restored.blocks, before.blocks);
      assert.equal(readFileSync(path.join(temp.dir, 'pipelines/p/pipeline.yaml'), 'utf8'), YAML);
    } finally {
      temp.cleanup();
    }
  });
}

test('paste gives copies fresh names and code files, keeps edges among them and drops edges the target lacks', async () => {
  const store = new Map<string, string>();
  (globalThis as { localStorage?: unknown }).localStorage = {
    getItem: (k: string) => store.get(k) ?? null,
    setItem: (k: string, v: string) => store.set(k, v),
  };
  const temp = createTempProject();
  try {
    temp.writeFile('pipelines/p/pipeline.yaml', YAML);
    temp.writeFile(
      'pipelines/q/pipeline.yaml',
      'blocks:\n  - id: other\n    type: source\n    kind: http_file\n    config:\n      url: https://example.com/x.csv\n',
    );
    temp.writeFile('blocks/clean.sql', 'select * from "load"\n');
    const project = await loadProject(temp.dir);
    assert.equal(copyBlocks(await viewOf(project, 'p'), ['load', 'clean'], { load: { x: 0, y: 0 } }), 2);
    const target = await viewOf(project, 'q');
    const { edits, ids } = pasteEdits(target);
    assert.deepEqual(ids, ['load', 'clean']);
    await write(project, target, edits);
    const pasted = await viewOf(project, 'q');
    assert.deepEqual(
      pasted.blocks.map((b) => [b.id, b.upstream, b.file ?? null, b.code]),
      [
        ['other', [], null, null],
        ['load', [], null, null],
        ['clean', ['load'], 'blocks/clean.sql', 'select * from "load"\n'],
      ],
    );
    const again = pasteEdits(pasted);
    assert.deepEqual(again.ids, ['load_2', 'clean_2']);
    assert.equal(uniqueBlockId('9 lives', ['_9_lives']), '_9_lives_2');
  } finally {
    temp.cleanup();
    delete (globalThis as { localStorage?: unknown }).localStorage;
  }
});
