import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createDefaultRegistry } from '../main/blocks/index.ts';
import { loadProject } from '../main/project/load-project.ts';
import { loadPipeline } from '../main/project/load-pipeline.ts';
import { createPipeline, readPipelineVersion, updatePipeline } from '../main/project/pipeline-writer.ts';
import { watchProject, type PipelineChange } from '../main/runtime/watch-project.ts';
import { createTempProject, type TempProject } from './helpers/temp-project.ts';
import { waitUntil } from './helpers/wait-until.ts';

const kinds = createDefaultRegistry();
const YAML = `# Orders, cleaned nightly
name: Orders
blocks:
  # where the orders come from
  - id: load_orders
    type: source
    kind: http_file
    config:
      url: https://example.com/orders.csv # the nightly dump
      format: csv
  - id: clean_orders
    type: transform
    kind: sql
    file: blocks/clean_orders.sql
    upstream: [load_orders]
`;

function setup(): { temp: TempProject; file: string } {
  const temp = createTempProject();
  temp.writeFile('pipelines/orders/pipeline.yaml', YAML);
  temp.writeFile('blocks/clean_orders.sql', 'select * from load_orders\n');
  return { temp, file: path.join(temp.dir, 'pipelines/orders/pipeline.yaml') };
}

test('adds a block with its code file and keeps every comment and key order of pipeline.yaml', async () => {
  const { temp, file } = setup();
  try {
    const project = await loadProject(temp.dir);
    const version = await readPipelineVersion(temp.dir, 'orders');
    const result = await updatePipeline({
      project,
      kinds,
      pipelineId: 'orders',
      expectedVersion: version,
      edits: [
        {
          op: 'addBlock',
          block: { id: 'big_orders', type: 'transform', kind: 'sql', upstream: ['clean_orders'] },
          position: { x: 400, y: 10 },
        },
        {
          op: 'updateBlock',
          blockId: 'load_orders',
          patch: { config: { url: 'https://example.com/orders.csv', format: 'csv', delimiter: ';' } },
        },
      ],
    });
    assert.notEqual(result.version, version);
    const text = readFileSync(file, 'utf8');
    for (const comment of ['# Orders, cleaned nightly', '# where the orders come from', '# the nightly dump'])
      assert.ok(text.includes(comment), `${comment} kept:\n${text}`);
    assert.match(
      text,
      /- id: big_orders\n\s+type: transform\n\s+kind: sql\n\s+file: blocks\/big_orders.sql\n\s+upstream: \[clean_orders\]/,
    );
    assert.match(text, /delimiter: ;\n/);
    assert.equal(
      readFileSync(path.join(temp.dir, 'blocks/big_orders.sql'), 'utf8'),
      '-- big_orders: upstream blocks are tables named by their ids\nselect *\nfrom "clean_orders"\n',
    );
    const layout = JSON.parse(readFileSync(path.join(temp.dir, 'pipelines/orders/layout.json'), 'utf8')) as unknown;
    assert.deepEqual(layout, { nodes: { big_orders: { x: 400, y: 10 } } });
    const loaded = await loadPipeline(project, 'orders', kinds);
    assert.deepEqual(
      loaded.blocks.map((b) => b.id),
      ['load_orders', 'clean_orders', 'big_orders'],
    );
    assert.equal(result.version, await readPipelineVersion(temp.dir, 'orders'));
  } finally {
    temp.cleanup();
  }
});

test('refuses a cycle with the engine message and writes nothing, not even the new code file', async () => {
  const { temp, file } = setup();
  try {
    const project = await loadProject(temp.dir);
    const version = await readPipelineVersion(temp.dir, 'orders');
    const before = readFileSync(file, 'utf8');
    await assert.rejects(
      updatePipeline({
        project,
        kinds,
        pipelineId: 'orders',
        expectedVersion: version,
        edits: [
          { op: 'addBlock', block: { id: 'loop', type: 'transform', kind: 'sql', upstream: ['clean_orders'] } },
          { op: 'connect', from: 'loop', to: 'clean_orders' },
        ],
      }),
      /cycle between blocks: .*loop.*clean_orders|cycle between blocks: .*clean_orders.*loop/,
    );
    await assert.rejects(
      updatePipeline({
        project,
        kinds,
        pipelineId: 'orders',
        expectedVersion: version,
        edits: [{ op: 'updateBlock', blockId: 'clean_orders', patch: { upstream: ['nowhere'] } }],
      }),
      /block clean_orders has unknown upstream 'nowhere'/,
    );
    assert.equal(readFileSync(file, 'utf8'), before);
    assert.equal(existsSync(path.join(temp.dir, 'blocks/loop.sql')), false);
    assert.equal(existsSync(path.join(temp.dir, 'pipelines/orders/layout.json')), false);
    assert.equal(await readPipelineVersion(temp.dir, 'orders'), version);
  } finally {
    temp.cleanup();
  }
});

test('refuses a write against a stale version as a conflict, after another editor changed the file', async () => {
  const { temp, file } = setup();
  try {
    const project = await loadProject(temp.dir);
    const version = await readPipelineVersion(temp.dir, 'orders');
    writeFileSync(file, YAML.replace('name: Orders', 'name: Orders (edited elsewhere)'));
    await assert.rejects(
      updatePipeline({
        project,
        kinds,
        pipelineId: 'orders',
        expectedVersion: version,
        edits: [{ op: 'moveBlocks', positions: { load_orders: { x: 1, y: 2 } } }],
      }),
      (error: Error) => error.constructor.name === 'ConflictError' && /changed on disk by another editor; reload/.test(error.message),
    );
    assert.match(readFileSync(file, 'utf8'), /edited elsewhere/);
  } finally {
    temp.cleanup();
  }
});

test('replaces files atomically: concurrent readers only ever see a whole, valid pipeline.yaml', async () => {
  const { temp, file } = setup();
  try {
    const project = await loadProject(temp.dir);
    let isWriting = true;
    let reads = 0;
    const reader = (async () => {
      while (isWriting) {
        const text = readFileSync(file, 'utf8');
        assert.match(text, /kind: sql\n\s+file: blocks\/clean_orders.sql\n\s+upstream: \[ ?load_orders ?\]\n?/);
        reads++;
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    for (let i = 0; i < 25; i++) {
      const expectedVersion = await readPipelineVersion(temp.dir, 'orders');
      await updatePipeline({
        project,
        kinds,
        pipelineId: 'orders',
        expectedVersion,
        edits: [{ op: 'updateBlock', blockId: 'load_orders', patch: { description: `edit ${i} `.repeat(200) } }],
      });
    }
    isWriting = false;
    await reader;
    assert.ok(reads > 5, `the reader ran (${reads} reads)`);
    assert.deepEqual(
      readdirSync(path.dirname(file)).filter((f) => f.endsWith('.tmp')),
      [],
    );
  } finally {
    temp.cleanup();
  }
});

test('creates a pipeline from its first block, renames and removes blocks with their edges', async () => {
  const { temp } = setup();
  try {
    const project = await loadProject(temp.dir);
    const created = await createPipeline({
      project,
      kinds,
      pipelineId: 'fresh',
      name: 'Fresh',
      edits: [{ op: 'addBlock', block: { id: 'src', type: 'source', kind: 'http_file', config: { url: 'https://example.com/a.csv' } } }],
    });
    const next = await updatePipeline({
      project,
      kinds,
      pipelineId: 'fresh',
      expectedVersion: created.version,
      edits: [
        {
          op: 'addBlock',
          block: { id: 'out', type: 'export', kind: 'local_file', upstream: ['src'], config: { path: 'exports/out.parquet' } },
        },
        { op: 'renameBlock', from: 'src', to: 'orders_src' },
      ],
    });
    const text = readFileSync(path.join(temp.dir, 'pipelines/fresh/pipeline.yaml'), 'utf8');
    assert.match(text, /^name: Fresh\n/);
    assert.match(text, /upstream: \[orders_src\]/);
    await updatePipeline({
      project,
      kinds,
      pipelineId: 'fresh',
      expectedVersion: next.version,
      edits: [{ op: 'removeBlock', blockId: 'out' }],
    });
    const loaded = await loadPipeline(project, 'fresh', kinds);
    assert.deepEqual(
      loaded.blocks.map((b) => b.id),
      ['orders_src'],
    );
    await assert.rejects(
      createPipeline({ project, kinds, pipelineId: 'fresh', name: 'Again', edits: [{ op: 'removeBlock', blockId: 'x' }] }),
      /already exists/,
    );
  } finally {
    temp.cleanup();
  }
});

test('the watcher reports a pipeline.yaml edited on disk with its new version', async () => {
  const { temp, file } = setup();
  const changes: PipelineChange[] = [];
  const watcher = watchProject(temp.dir, (change) => changes.push(change));
  try {
    await watcher.ready;
    writeFileSync(file, YAML.replace('name: Orders', 'name: Renamed'));
    const expected = await readPipelineVersion(temp.dir, 'orders');
    await waitUntil(() => changes.some((c) => c.pipelineId === 'orders' && c.version === expected), {
      what: 'the pipeline.yaml edit to be reported',
    });
    assert.ok(
      changes.some((c) => c.pipelineId === 'orders' && c.version === expected && !c.codeChanged),
      JSON.stringify(changes),
    );
    writeFileSync(path.join(temp.dir, 'blocks/clean_orders.sql'), 'select 1\n');
    await waitUntil(() => changes.some((c) => c.codeChanged), { what: 'the code edit to be reported' });
    assert.ok(changes.some((c) => c.pipelineId === 'orders' && c.codeChanged));
  } finally {
    watcher.close();
    temp.cleanup();
  }
});

test('a block patch sets and removes a condition, and an invalid one is refused with nothing written', async () => {
  const { temp, file } = setup();
  try {
    const project = await loadProject(temp.dir);
    let version = await readPipelineVersion(temp.dir, 'orders');
    const condition = { sql: 'count(*) > 0', over: 'load_orders' };
    ({ version } = await updatePipeline({
      project,
      kinds,
      pipelineId: 'orders',
      expectedVersion: version,
      edits: [{ op: 'updateBlock', blockId: 'clean_orders', patch: { condition } }],
    }));
    assert.deepEqual((await loadPipeline(project, 'orders', kinds)).blocks.find((b) => b.id === 'clean_orders')?.condition, condition);
    const before = readFileSync(file, 'utf8');
    await assert.rejects(
      updatePipeline({
        project,
        kinds,
        pipelineId: 'orders',
        expectedVersion: version,
        edits: [{ op: 'updateBlock', blockId: 'clean_orders', patch: { condition: { sql: 'true', over: 'nowhere' } } }],
      }),
      /nowhere/,
    );
    assert.equal(readFileSync(file, 'utf8'), before, 'a refused patch writes nothing');
    await updatePipeline({
      project,
      kinds,
      pipelineId: 'orders',
      expectedVersion: version,
      edits: [{ op: 'updateBlock', blockId: 'clean_orders', patch: { condition: null } }],
    });
    assert.doesNotMatch(readFileSync(file, 'utf8'), /condition/);
  } finally {
    temp.cleanup();
  }
});
