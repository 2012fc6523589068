import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { openProject, type OpenProject } from '../main/runtime/open-project.ts';
import { createApiHandlers, dispatch } from '../main/api/handlers.ts';
import { createTempProject, type TempProject } from './helpers/temp-project.ts';

const SQL = 'select 1 as one\nfrom seed\n';

async function withProject(
  work: (open: OpenProject, temp: TempProject, handlers: ReturnType<typeof createApiHandlers>) => Promise<void>,
): Promise<void> {
  const temp = createTempProject();
  temp.writeFile('data/seed.csv', 'x\n1\n');
  temp.writeFile('blocks/one.sql', SQL);
  temp.writePipeline('p', {
    blocks: [
      { id: 'seed', type: 'source', kind: 'local_file', config: { path: 'data/seed.csv', format: 'csv' } },
      { id: 'one', type: 'transform', kind: 'sql', file: 'blocks/one.sql', upstream: ['seed'] },
    ],
  });
  const open = await openProject(temp.dir);
  try {
    await work(
      open,
      temp,
      createApiHandlers(open, () => undefined),
    );
  } finally {
    await open.close();
    temp.cleanup();
  }
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

test('blocks.readCode returns the code file as on disk with its sha256', async () => {
  await withProject(async (_open, temp, handlers) => {
    writeFileSync(path.join(temp.dir, 'blocks/one.sql'), 'select 2 as two\nfrom seed\n');
    const reply = await dispatch(handlers, 'blocks.readCode', { pipelineId: 'p', blockId: 'one' });
    assert.ok(reply.ok, JSON.stringify(reply));
    assert.deepEqual(reply.result, {
      file: 'blocks/one.sql',
      text: 'select 2 as two\nfrom seed\n',
      hash: sha256('select 2 as two\nfrom seed\n'),
    });
  });
});

test('blocks.saveCode writes the file when the hash matches and answers the new hash', async () => {
  await withProject(async (_open, temp, handlers) => {
    const text = 'select 3 as three\nfrom seed\n';
    const reply = await dispatch(handlers, 'blocks.saveCode', { pipelineId: 'p', blockId: 'one', text, expectedHash: sha256(SQL) });
    assert.ok(reply.ok, JSON.stringify(reply));
    assert.equal((reply.result as { hash: string }).hash, sha256(text));
    assert.equal(readFileSync(path.join(temp.dir, 'blocks/one.sql'), 'utf8'), text);
    assert.deepEqual(readdirSync(path.join(temp.dir, 'blocks')), ['one.sql'], 'no temp file is left behind');
  });
});

test('blocks.saveCode refuses with a conflict when the file changed on disk, and leaves it alone', async () => {
  await withProject(async (_open, temp, handlers) => {
    writeFileSync(path.join(temp.dir, 'blocks/one.sql'), 'select 4 as theirs\nfrom seed\n');
    const reply = await dispatch(handlers, 'blocks.saveCode', {
      pipelineId: 'p',
      blockId: 'one',
      text: 'select 5 as mine',
      expectedHash: sha256(SQL),
    });
    assert.equal(reply.ok, false);
    assert.ok(!reply.ok);
    assert.equal(reply.error.kind, 'user');
    assert.equal(reply.error.place?.path, 'expectedHash');
    assert.equal(reply.error.place?.file, 'blocks/one.sql');
    assert.match(reply.error.message, /changed on disk/);
    assert.equal(readFileSync(path.join(temp.dir, 'blocks/one.sql'), 'utf8'), 'select 4 as theirs\nfrom seed\n');

    const forced = await dispatch(handlers, 'blocks.saveCode', { pipelineId: 'p', blockId: 'one', text: 'select 5 as mine\nfrom seed\n' });
    assert.ok(forced.ok, 'without expectedHash the save overwrites');
    assert.equal(readFileSync(path.join(temp.dir, 'blocks/one.sql'), 'utf8'), 'select 5 as mine\nfrom seed\n');
  });
});

test('blocks.saveCode names the block when it has no code file or does not exist', async () => {
  await withProject(async (_open, _temp, handlers) => {
    const noFile = await dispatch(handlers, 'blocks.saveCode', { pipelineId: 'p', blockId: 'seed', text: 'x' });
    assert.ok(!noFile.ok);
    assert.match(noFile.error.message, /block seed has no code file/);
    const missing = await dispatch(handlers, 'blocks.readCode', { pipelineId: 'p', blockId: 'nope' });
    assert.ok(!missing.ok);
    assert.match(missing.error.message, /no block nope/);
    const badHash = await dispatch(handlers, 'blocks.saveCode', { pipelineId: 'p', blockId: 'one', text: 'x', expectedHash: 'abc' });
    assert.ok(!badHash.ok);
    assert.match(badHash.error.message, /expectedHash/);
  });
});
