import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { RunEvent } from '../main/model/run-events.ts';
import type { RunStore } from '../main/history/run-store.ts';
import { startedFanOutStore } from './helpers/fan-out-history.ts';

/** The disk, where an fsync costs what it costs; and memory where there is a tmpfs, so a per-child scan is not hidden behind fsyncs. */
const onDisk = mkdtempSync(path.join(os.tmpdir(), 'pw-children-'));
const inMemory = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/pw-children-') : onDisk;
after(() => {
  rmSync(onDisk, { recursive: true, force: true });
  rmSync(inMemory, { recursive: true, force: true });
});

function timed(events: RunEvent[], store: RunStore): number {
  const started = performance.now();
  for (const event of events) store.record(event);
  return performance.now() - started;
}

const added = (runId: string, index: number): RunEvent => ({
  type: 'block.added',
  runId,
  blockId: `each[${index}]`,
  parentId: 'each',
  index,
  at: Date.now(),
});

test('recording the 20,000th child costs what recording the first did; children keep their plan positions', () => {
  const { store, file } = startedFanOutStore(inMemory, 'r1');
  const count = 20_000;
  const batch = 2_000;
  const firstMs = timed(
    Array.from({ length: batch }, (_, i) => added('r1', i)),
    store,
  );
  timed(
    Array.from({ length: count - 2 * batch }, (_, i) => added('r1', batch + i)),
    store,
  );
  const lastMs = timed(
    Array.from({ length: batch }, (_, i) => added('r1', count - batch + i)),
    store,
  );
  store.close();
  assert.ok(lastMs < firstMs * 3, `first ${batch} children: ${firstMs.toFixed(0)} ms, last ${batch}: ${lastMs.toFixed(0)} ms`);
  const db = new Database(file, { readonly: true });
  try {
    const rows = db.prepare(`SELECT block_id, position FROM block_runs WHERE run_id = 'r1' ORDER BY position`).all() as {
      block_id: string;
      position: number;
    }[];
    assert.equal(rows.length, count + 2);
    assert.deepEqual(rows.slice(0, 3), [
      { block_id: 'ids', position: 0 },
      { block_id: 'each', position: 1 },
      { block_id: 'each[0]', position: 2 },
    ]);
    assert.ok(
      rows.every((row, i) => row.position === i),
      'positions are contiguous, in the order children were added',
    );
    assert.deepEqual(rows.at(-1), { block_id: `each[${count - 1}]`, position: count + 1 });
  } finally {
    db.close();
  }
});

test("a child's state changes commit without an fsync each: they cost about what log lines cost, not a disk flush", () => {
  const { store } = startedFanOutStore(onDisk, 'r2');
  const children = 300;
  const now = Date.now();
  const childEvents = Array.from({ length: children }, (_, i): RunEvent[] => [
    added('r2', i),
    { type: 'block.started', runId: 'r2', blockId: `each[${i}]`, attempt: 1, at: now },
    { type: 'block.succeeded', runId: 'r2', blockId: `each[${i}]`, attempt: 1, durationMs: 1, rowsOut: 1, at: now },
  ]).flat();
  const logEvents = childEvents.map((_, i): RunEvent => ({
    type: 'log.written',
    runId: 'r2',
    blockId: null,
    level: 'info',
    message: `line ${i}`,
    at: now,
  }));
  const logMs = timed(logEvents, store);
  const childMs = timed(childEvents, store);
  store.close();
  assert.ok(childMs < logMs * 5, `${childEvents.length} child events: ${childMs.toFixed(0)} ms; as many log lines: ${logMs.toFixed(0)} ms`);
});
