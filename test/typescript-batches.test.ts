import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tableFromIPC } from 'apache-arrow';
import { openProject, type OpenProject } from '../main/runtime/open-project.ts';
import type { RunEvent } from '../main/model/run-events.ts';
import { createTempProject } from './helpers/temp-project.ts';
import { waitUntil } from './helpers/wait-until.ts';

const trigger = { kind: 'test' as const };
const ROWS = 300_000;
const tripsSql = `select range as id, date '2021-01-01' + (range % 31)::int as day, 'v' || range as note from range(${ROWS})\n`;

/** Runs pipeline p (a SQL source `trips`, then the given blocks) in a fresh project; hands over the result and events. */
async function runPipeline(
  blocks: Record<string, unknown>[],
  files: Record<string, string>,
  check: (ctx: {
    open: OpenProject;
    status: string;
    events: RunEvent[];
    query: (sql: string) => Promise<Record<string, unknown>[]>;
  }) => Promise<void>,
): Promise<void> {
  const temp = createTempProject();
  temp.writePipeline('p', { blocks: [{ id: 'trips', type: 'source', kind: 'sql', file: 'blocks/trips.sql' }, ...blocks] });
  temp.writeFile('blocks/trips.sql', tripsSql);
  for (const [file, text] of Object.entries(files)) temp.writeFile(file, text);
  const open = await openProject(temp.dir);
  const events: RunEvent[] = [];
  try {
    const result = await open.run({ pipeline: await open.loadPipeline('p'), scope: { kind: 'pipeline' }, trigger }, (e) => events.push(e));
    const query = async (sql: string) =>
      tableFromIPC((await open.workspace.query(sql, { offset: 0, limit: 100 })).ipc)
        .toArray()
        .map((r) => r.toJSON() as Record<string, unknown>);
    await check({ open, status: result.status, events, query });
  } finally {
    await open.close();
    temp.cleanup();
  }
}

const logsOf = (events: RunEvent[], blockId: string) =>
  events.flatMap((e) => (e.type === 'log.written' && e.blockId === blockId ? [e.message] : []));
const errorOf = (events: RunEvent[], blockId: string) =>
  events.flatMap((e) => (e.type === 'block.failed' && e.blockId === blockId ? [e.error] : []))[0];

test('an async-generator block gets its input as record batches and writes what it yields, batch by batch', async () => {
  const code = `import { tableFromArrays, type RecordBatch } from 'apache-arrow';
export default async function* doubled(inputs: Record<string, AsyncIterable<RecordBatch>>) {
  let batches = 0;
  let largest = 0;
  for await (const batch of inputs.trips) {
    batches++;
    largest = Math.max(largest, batch.numRows);
    const ids = batch.getChild('id')!.toArray() as BigInt64Array;
    yield tableFromArrays({ id: ids, twice: Float64Array.from(ids, (v) => Number(v) * 2) });
  }
  console.log(\`read \${batches} batches, the largest \${largest} rows\`);
}
`;
  await runPipeline(
    [{ id: 'doubled', type: 'transform', kind: 'typescript', file: 'blocks/doubled.ts', upstream: ['trips'] }],
    { 'blocks/doubled.ts': code },
    async ({ status, events, query }) => {
      assert.equal(status, 'succeeded', JSON.stringify(errorOf(events, 'doubled')));
      const [row] = await query(
        'select count(*)::INT as n, count(distinct id)::INT as ids, sum(twice - 2 * id)::DOUBLE as off from p.doubled',
      );
      assert.deepEqual(row, { n: ROWS, ids: ROWS, off: 0 });
      const read = logsOf(events, 'doubled')
        .map((m) => /read (\d+) batches, the largest (\d+) rows/.exec(m))
        .find(Boolean);
      assert.ok(read, `the block logged what it read: ${logsOf(events, 'doubled').join(' | ')}`);
      assert.ok(Number(read[1]) > 1, 'the input came in several batches, not as one table');
      assert.ok(Number(read[2]) < ROWS, 'no batch held the whole input');
      const done = events.find((e) => e.type === 'block.succeeded' && e.blockId === 'doubled');
      assert.ok(done?.type === 'block.succeeded' && done.rowsIn === ROWS && done.rowsOut === ROWS, JSON.stringify(done));
    },
  );
});

test('a block that stops reading after its first batch succeeds with that batch, its next part already asked for', async () => {
  const code = `import type { RecordBatch } from 'apache-arrow';
export default async function* first(inputs: Record<string, AsyncIterable<RecordBatch>>) {
  for await (const batch of inputs.trips) {
    yield batch;
    break;
  }
}
`;
  await runPipeline(
    [{ id: 'first', type: 'transform', kind: 'typescript', file: 'blocks/first.ts', upstream: ['trips'] }],
    { 'blocks/first.ts': code },
    async ({ status, events, query }) => {
      assert.equal(status, 'succeeded', JSON.stringify(errorOf(events, 'first')));
      // Which batch comes first is DuckDB's parallel scan's choice (insertion order is not kept): any one of trips'.
      const [row] = await query(
        'select count(*)::INT as n, count(distinct id)::INT as ids, count(*) filter (where id not in (select id from p.trips))::INT as foreign from p.first',
      );
      assert.ok(Number(row?.n) > 0 && Number(row?.n) <= 2_048, `one batch of at most 2,048 rows: ${row?.n}`);
      assert.equal(row?.ids, row?.n, 'rows of one batch, each once');
      assert.equal(row?.foreign, 0);
    },
  );
});

test('batches passed through keep every column type; two inputs can be read side by side', async () => {
  const code = `import type { RecordBatch } from 'apache-arrow';
export default async function* zipped(inputs: Record<string, AsyncIterable<RecordBatch>>) {
  const other = inputs.trips_again[Symbol.asyncIterator]();
  for await (const batch of inputs.trips) {
    const next = await other.next();
    if (next.done) throw new Error('the second input ended first');
    yield batch;
  }
}
`;
  await runPipeline(
    [
      { id: 'trips_again', type: 'source', kind: 'sql', file: 'blocks/trips.sql' },
      { id: 'zipped', type: 'transform', kind: 'typescript', file: 'blocks/zipped.ts', upstream: ['trips', 'trips_again'] },
    ],
    { 'blocks/zipped.ts': code },
    async ({ status, events, query }) => {
      assert.equal(status, 'succeeded', JSON.stringify(errorOf(events, 'zipped')));
      const [row] = await query(`select count(*)::INT as n, typeof(any_value(day)) as day_type, typeof(any_value(note)) as note_type,
        count(*) filter (where day = date '2021-01-01' + (id % 31)::int)::INT as matching from p.zipped`);
      assert.deepEqual(row, { n: ROWS, day_type: 'DATE', note_type: 'VARCHAR', matching: ROWS });
    },
  );
});

test('a block that yields something other than record batches fails naming the block and its file; nothing is written', async () => {
  const code = `export default async function* bad(inputs: Record<string, AsyncIterable<unknown>>) {
  for await (const batch of inputs.trips) yield batch;
  yield { id: 1 };
}
`;
  await runPipeline(
    [{ id: 'bad', type: 'transform', kind: 'typescript', file: 'blocks/bad.ts', upstream: ['trips'] }],
    { 'blocks/bad.ts': code },
    async ({ status, events, open }) => {
      assert.equal(status, 'failed');
      const error = errorOf(events, 'bad');
      assert.match(error?.message ?? '', /yielded is an object|yielded is a Object|yield apache-arrow RecordBatches/);
      assert.equal(error?.place?.block, 'bad');
      assert.equal(error?.place?.file, 'blocks/bad.ts');
      assert.equal(await open.workspace.latestOutput('p', 'bad'), undefined, 'no output was published');
    },
  );
});

test('batches whose columns change midway fail the block with both column lists', async () => {
  const code = `import { tableFromArrays, type RecordBatch } from 'apache-arrow';
export default async function* drifting(inputs: Record<string, AsyncIterable<RecordBatch>>) {
  let n = 0;
  for await (const batch of inputs.trips) {
    yield n++ < 40 ? tableFromArrays({ id: Float64Array.from([n]) }) : tableFromArrays({ other: Float64Array.from([n]) });
  }
}
`;
  await runPipeline(
    [{ id: 'drifting', type: 'transform', kind: 'typescript', file: 'blocks/drifting.ts', upstream: ['trips'] }],
    { 'blocks/drifting.ts': code },
    async ({ status, events }) => {
      assert.equal(status, 'failed');
      const error = errorOf(events, 'drifting');
      assert.match(error?.message ?? '', /has columns \(other DOUBLE\), unlike the first batch \(id DOUBLE\)/);
      assert.equal(error?.place?.block, 'drifting');
    },
  );
});

test('cancelling a streaming block stops it mid-stream: the run is cancelled and no output is published', async () => {
  const code = `import type { RecordBatch } from 'apache-arrow';
export default async function* slow(inputs: Record<string, AsyncIterable<RecordBatch>>) {
  let n = 0;
  for await (const batch of inputs.trips) {
    if (n++ === 0) console.log('streaming');
    await new Promise((resolve) => setTimeout(resolve, 200));
    yield batch;
  }
}
`;
  const temp = createTempProject();
  temp.writePipeline('p', {
    blocks: [
      { id: 'trips', type: 'source', kind: 'sql', file: 'blocks/trips.sql' },
      { id: 'slow', type: 'transform', kind: 'typescript', file: 'blocks/slow.ts', upstream: ['trips'] },
    ],
  });
  temp.writeFile('blocks/trips.sql', tripsSql);
  temp.writeFile('blocks/slow.ts', code);
  const open = await openProject(temp.dir);
  const events: RunEvent[] = [];
  const controller = new AbortController();
  try {
    const running = open.run(
      { pipeline: await open.loadPipeline('p'), scope: { kind: 'pipeline' }, trigger, signal: controller.signal },
      (e) => events.push(e),
    );
    await waitUntil(() => logsOf(events, 'slow').includes('streaming'), { what: 'the block to start streaming', timeoutMs: 60_000 });
    controller.abort();
    const result = await running;
    assert.equal(result.status, 'cancelled');
    assert.equal(await open.workspace.latestOutput('p', 'slow'), undefined, 'no output was published');
  } finally {
    await open.close();
    temp.cleanup();
  }
});
