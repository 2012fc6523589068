import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { openProject } from '../main/runtime/open-project.ts';
import type { RunEvent } from '../main/model/run-events.ts';
import { createTempProject } from './helpers/temp-project.ts';
import { waitUntil } from './helpers/wait-until.ts';

type Progressed = Extract<RunEvent, { type: 'block.progressed' }>;
const trigger = { kind: 'test' as const };

/** Readings of one block's progress in one phase that grew from one to the next (rows done, with a total). */
function growingRows(events: RunEvent[], blockId: string, phase: string): Progressed[] {
  const readings = events.filter((e): e is Progressed => e.type === 'block.progressed' && e.blockId === blockId && e.phase === phase);
  for (const r of readings) assert.equal(r.unit, 'rows');
  return readings.filter((r, i) => r.total !== undefined && r.total > 0 && (i === 0 || r.done > (readings[i - 1]?.done ?? 0)));
}

/**
 * Each test starts a block that would run for minutes, waits (with a deadline) for its rows done to grow three times
 * while it runs, then cancels it: no reliance on how fast this machine is.
 */
async function watchBlock(opts: {
  pipeline: Record<string, unknown>;
  files?: Record<string, string>;
  prepare?: (dir: string) => Promise<void>;
  blockId: string;
  phase: string;
}): Promise<Progressed[]> {
  const temp = createTempProject({ engine: { threads: 1 } });
  temp.writePipeline('p', opts.pipeline);
  for (const [file, text] of Object.entries(opts.files ?? {})) temp.writeFile(file, text);
  await opts.prepare?.(temp.dir);
  const open = await openProject(temp.dir);
  const events: RunEvent[] = [];
  const controller = new AbortController();
  try {
    const pipeline = await open.loadPipeline('p');
    const running = open.run({ pipeline, scope: { kind: 'pipeline' }, trigger, signal: controller.signal }, (e) => events.push(e));
    const seen = await waitUntil(
      () => {
        const grown = growingRows(events, opts.blockId, opts.phase);
        return grown.length >= 3 && grown;
      },
      { what: `${opts.blockId} to report growing rows while it ${opts.phase === 'read' ? 'reads' : 'runs its query'}`, timeoutMs: 120_000 },
    );
    assert.ok(!events.some((e) => e.type === 'block.succeeded' && e.blockId === opts.blockId), 'the readings came while the block ran');
    controller.abort();
    const result = await running;
    assert.equal(result.status, 'cancelled');
    return seen;
  } finally {
    await open.close();
    temp.cleanup();
  }
}

/** A rate and a time left follow from the readings: the renderer and the CLI show both. */
function assertRateAndTimeLeft(readings: Progressed[]): void {
  const last = readings.at(-1) as Progressed;
  assert.ok((last.rate ?? 0) > 0, `rows per second reported: ${JSON.stringify(last)}`);
  assert.ok(last.total !== undefined && last.total > last.done, `a total beyond rows done gives a time left: ${JSON.stringify(last)}`);
}

test('a SQL block reports rows done, rows per second and a total while its query runs', async () => {
  const readings = await watchBlock({
    // A 300-element list computed for each of 10M rows: a minute of work at one thread, growing every row group (122,880 rows).
    pipeline: {
      blocks: [
        { id: 'trips', type: 'source', kind: 'sql', file: 'blocks/trips.sql' },
        { id: 'slow', type: 'transform', kind: 'sql', file: 'blocks/slow.sql', upstream: ['trips'] },
      ],
    },
    files: {
      'blocks/trips.sql': 'select range as id from range(10000000)\n',
      'blocks/slow.sql': 'select sum(list_sum(list_transform(range(300), x -> (x * id) % 7))) as n from trips\n',
    },
    blockId: 'slow',
    phase: 'query',
  });
  assertRateAndTimeLeft(readings);
});

/** A CSV of `rows` rows written by DuckDB (fast); read back at one thread with every value parsed, it takes a few seconds. */
async function writeCsv(file: string, rows: number): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    await conn.run(`COPY (SELECT range AS id, range * 0.5 AS amount, TIMESTAMP '2021-01-01' + INTERVAL (range) SECOND AS at,
      'trip ' || range AS note FROM range(${rows})) TO '${file}' (HEADER)`);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

test('a CSV source reports rows done, rows per second and a total while DuckDB reads the file', async () => {
  const readings = await watchBlock({
    pipeline: { blocks: [{ id: 'trips', type: 'source', kind: 'local_file', config: { path: 'big.csv', format: 'csv' } }] },
    prepare: (dir) => writeCsv(path.join(dir, 'big.csv'), 3_000_000),
    blockId: 'trips',
    phase: 'read',
  });
  assertRateAndTimeLeft(readings);
  // Estimated from the file's size and its first lines; DuckDB's own guess here is 7.4M.
  const total = readings.at(-1)?.total ?? 0;
  assert.ok(total > 2_500_000 && total < 4_000_000, `about 3M rows expected in all, estimated ${total}`);
});

test('a SQL block reading a file view reports its progress against the rows the source counted', async () => {
  const readings = await watchBlock({
    // The source is a view over the CSV (its only reader is one SQL block): the SQL block parses it.
    pipeline: {
      blocks: [
        { id: 'trips', type: 'source', kind: 'local_file', config: { path: 'big.csv', format: 'csv' } },
        { id: 'clean', type: 'transform', kind: 'sql', file: 'blocks/clean.sql', upstream: ['trips'] },
      ],
    },
    files: { 'blocks/clean.sql': 'select * from trips where amount >= 0\n' },
    prepare: (dir) => writeCsv(path.join(dir, 'big.csv'), 3_000_000),
    blockId: 'clean',
    phase: 'query',
  });
  assertRateAndTimeLeft(readings);
  for (const reading of readings) assert.equal(reading.total, 3_000_000);
});
