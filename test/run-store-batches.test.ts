import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { RunEvent } from '../main/model/run-events.ts';
import { startedFanOutStore } from './helpers/fan-out-history.ts';
import { waitUntil } from './helpers/wait-until.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'pw-batches-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** What another process sees: rows committed to the file, read on a connection of its own. */
function committedChildren(file: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare("SELECT count(*) AS n FROM block_runs WHERE block_id LIKE 'each[%'").get() as { n: number }).n;
  } finally {
    db.close();
  }
}

function childEvents(runId: string, index: number): RunEvent[] {
  const blockId = `each[${index}]`;
  const at = Date.now();
  return [
    { type: 'block.added', runId, blockId, parentId: 'each', index, at },
    { type: 'block.started', runId, blockId, attempt: 1, at },
    { type: 'log.written', runId, blockId, level: 'info', message: `child ${index}`, at },
    { type: 'block.succeeded', runId, blockId, attempt: 1, durationMs: 1, rowsOut: 1, at },
  ];
}

test("children's events commit together, within 50 ms; a read through the store or any other event commits them first", async () => {
  const { store, file } = startedFanOutStore(root, 'r1');
  try {
    for (const event of childEvents('r1', 0)) store.record(event);
    assert.equal(committedChildren(file), 0, 'waiting for their batch');
    await waitUntil(() => committedChildren(file) === 1, { what: 'the batch of child 0 to commit' });
    for (const event of childEvents('r1', 1)) store.record(event);
    assert.equal(store.getRun('r1')?.blocks.find((b) => b.blockId === 'each[1]')?.status, 'succeeded', 'the store reads its own');
    for (const event of childEvents('r1', 2)) store.record(event);
    store.record({
      type: 'block.progressed',
      runId: 'r1',
      blockId: 'each',
      phase: 'children',
      done: 3,
      total: 3,
      unit: 'items',
      at: Date.now(),
    });
    assert.equal(committedChildren(file), 3, "the parent's event went in after its children's");
    assert.deepEqual(
      store.getLogs('r1', { blockId: 'each[2]' }).map((l) => l.message),
      ['child 2'],
    );
  } finally {
    store.close();
  }
});

test('a bad event in a batch fails alone: the others are recorded, and the next record() throws its error', () => {
  const { store, file } = startedFanOutStore(root, 'r2');
  try {
    store.record(childEvents('r2', 0)[0]!);
    // A child the run never added: its attempt cannot be recorded (foreign key).
    store.record({ type: 'block.started', runId: 'r2', blockId: 'ghost[0]', attempt: 1, at: Date.now() });
    store.record(childEvents('r2', 1)[0]!);
    assert.throws(
      () => store.record({ type: 'log.written', runId: 'r2', blockId: null, level: 'info', message: 'after', at: Date.now() }),
      /FOREIGN KEY/,
    );
    assert.equal(committedChildren(file), 2);
  } finally {
    store.close();
  }
});
