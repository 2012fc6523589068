import path from 'node:path';
import type { RunEvent } from '../../main/model/run-events.ts';
import { RunStore } from '../../main/history/run-store.ts';
import type { TempProject } from './temp-project.ts';

/**
 * Writes pipeline `fanout` into `temp`: `seed` → `items` (dynamic: `items` rows of `i`) → `each` (reduce: `eachSql`
 * per item, by default `select {{ item.i }} as i`). Its runs can be real, or recorded by recordFanOutRun.
 */
export function writeFanOutPipeline(temp: TempProject, items: number, eachSql = 'select {{ item.i }} as i\n'): void {
  temp.writeFile('blocks/seed.sql', 'select 1 as one\n');
  temp.writeFile('blocks/items.sql', `select range::INTEGER as i from range(${items}) where (select count(*) from seed) = 1\n`);
  temp.writeFile('blocks/each.sql', eachSql);
  temp.writePipeline('fanout', {
    blocks: [
      { id: 'seed', type: 'source', kind: 'sql', file: 'blocks/seed.sql' },
      { id: 'items', type: 'transform', kind: 'sql', file: 'blocks/items.sql', upstream: ['seed'], dynamic: true },
      { id: 'each', type: 'transform', kind: 'sql', file: 'blocks/each.sql', upstream: ['items'], reduce: true },
    ],
  });
}

export interface FanOutRunSpec {
  runId: string;
  pipelineId: string;
  /** Top-level blocks; `parent` must be one of them. */
  blocks: string[];
  parent: string;
  children: number;
  /** The status child `index` ends in (default: every one succeeds). */
  statusOf?: (index: number) => 'succeeded' | 'failed' | 'running';
  /** Leave the run running (a live fan-out) instead of finishing it. */
  isLive?: boolean;
}

/** How many child events one transaction holds: the store's fast path, one commit per batch. */
const BATCH = 20_000;

/**
 * Writes a run whose `parent` fanned out to `children` dynamic children into a real history through the run store's
 * own fold (`recordMany`, one transaction per batch): the same rows the engine would leave, written in seconds.
 * A failed child also writes an error log line, as the engine does, so its logs can be read back.
 */
export function recordFanOutRun(store: RunStore, spec: FanOutRunSpec): void {
  const at = Date.now() - 60_000;
  const { runId, parent } = spec;
  store.record({
    type: 'run.started',
    runId,
    pipelineId: spec.pipelineId,
    at,
    scope: { kind: 'pipeline' },
    blocks: spec.blocks,
    trigger: { kind: 'test' },
    variables: {},
    pipelineHash: 'hash',
    codeHash: 'hash',
  });
  for (const blockId of spec.blocks.slice(0, spec.blocks.indexOf(parent) + 1)) {
    store.record({ type: 'block.started', runId, blockId, attempt: 1, at });
    if (blockId !== parent) store.record({ type: 'block.succeeded', runId, blockId, attempt: 1, durationMs: 5, rowsOut: 10, at });
  }
  let batch: RunEvent[] = [];
  for (let index = 0; index < spec.children; index++) {
    const blockId = `${parent}[${index}]`;
    const t = at + index;
    batch.push({ type: 'block.added', runId, blockId, parentId: parent, index, at: t });
    batch.push({ type: 'block.started', runId, blockId, attempt: 1, at: t });
    const status = spec.statusOf?.(index) ?? 'succeeded';
    if (status === 'succeeded')
      batch.push({ type: 'block.succeeded', runId, blockId, attempt: 1, durationMs: 3, rowsOut: index % 7, at: t + 3 });
    if (status === 'failed') {
      const error = { kind: 'user' as const, message: `child ${index} failed: division by zero`, retryable: false };
      batch.push({ type: 'block.failed', runId, blockId, attempt: 1, durationMs: 2, error, at: t + 2 });
    }
    if (batch.length >= BATCH) {
      store.recordMany(batch);
      batch = [];
    }
  }
  if (batch.length > 0) store.recordMany(batch);
  if (spec.isLive) return;
  const failed = spec.statusOf ? Array.from({ length: spec.children }, (_, i) => spec.statusOf?.(i)).includes('failed') : false;
  const end = at + spec.children + 10;
  if (failed) {
    const error = { kind: 'user' as const, message: `some children of ${parent} failed`, retryable: false };
    store.record({ type: 'block.failed', runId, blockId: parent, attempt: 1, durationMs: end - at, error, at: end });
    store.record({ type: 'run.finished', runId, status: 'failed', durationMs: end - at, error, at: end });
    return;
  }
  store.record({ type: 'block.succeeded', runId, blockId: parent, attempt: 1, durationMs: end - at, rowsOut: spec.children, at: end });
  for (const blockId of spec.blocks.slice(spec.blocks.indexOf(parent) + 1)) {
    store.record({ type: 'block.started', runId, blockId, attempt: 1, at: end });
    store.record({ type: 'block.succeeded', runId, blockId, attempt: 1, durationMs: 5, rowsOut: 10, at: end });
  }
  store.record({ type: 'run.finished', runId, status: 'succeeded', durationMs: end - at, at: end });
}

let stores = 0;

/** A new history in a folder of its own under `root`, with one running run of blocks `ids` and `each` (children are left to the test). */
export function startedFanOutStore(root: string, runId: string): { store: RunStore; file: string } {
  const file = path.join(root, `p${stores++}`, 'history.sqlite');
  const store = RunStore.open(file);
  store.record({
    type: 'run.started',
    runId,
    at: Date.now(),
    pipelineId: 'p',
    scope: { kind: 'pipeline' },
    blocks: ['ids', 'each'],
    trigger: { kind: 'test' },
    variables: {},
    pipelineHash: 'h',
    codeHash: 'c',
  });
  return { store, file };
}
