import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DuckDBInstance } from '@duckdb/node-api';
import { tableFromIPC } from 'apache-arrow';
import { previewQuery } from '../main/data/preview.ts';
import { layoutRows } from '../renderer/src/preview/scroll-scale.ts';
import { CELL_CHARS, decodeFullValue, decodeRows } from '../renderer/src/preview/decode-rows.ts';
import { chartSql, toChartPoints, type ChartKind } from '../renderer/src/chart/chart-query.ts';
import { choiceIndexOf, configFieldOf, shapeOf, type JsonSchema } from '../renderer/src/details/json-schema.ts';

async function withDuckDB(
  work: (run: (sql: string) => Promise<Record<string, unknown>[]>, conn: Awaited<ReturnType<DuckDBInstance['connect']>>) => Promise<void>,
): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    await work(async (sql) => (await conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[], conn);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

test('rows keep their natural place while the body fits under the cap', () => {
  const layout = layoutRows({ scrollTop: 2400, viewHeight: 480, totalRows: 1000, rowHeight: 24, overscan: 0 });
  assert.equal(layout.bodyHeight, 24_000);
  assert.equal(layout.first, 100);
  assert.equal(layout.last, 120);
  assert.equal(layout.topOf(100), 2400);
  assert.equal(layout.scrollTopFor(100), 2400);
  assert.equal(layout.lastVisible, 119);
});

test('past the cap the scroll space is scaled and the end of the scrollbar shows the last row at the bottom', () => {
  const args = { viewHeight: 480, totalRows: 10_500_000, rowHeight: 24, overscan: 0, maxBody: 8_000_000 };
  const atEnd = layoutRows({ ...args, scrollTop: 8_000_000 - 480 });
  assert.equal(atEnd.bodyHeight, 8_000_000);
  assert.equal(atEnd.last, 10_499_999);
  assert.equal(atEnd.lastVisible, 10_499_999);
  assert.equal(atEnd.topOf(10_499_999) + 24, 8_000_000, 'the last row ends where the body ends');
  const jump = layoutRows({ ...args, scrollTop: 0 }).scrollTopFor(5_000_000);
  const there = layoutRows({ ...args, scrollTop: jump });
  assert.equal(there.first, 5_000_000);
  assert.ok(Math.abs(there.topOf(5_000_000) - jump) < 1, 'the row asked for is at the top of the view');
  assert.equal(layoutRows({ ...args, scrollTop: 0 }).topOf(0), 0);
  const pinned = layoutRows({ ...args, scrollTop: jump, firstRow: 5_000_010 });
  assert.equal(pinned.first, 5_000_010, 'a pinned top row (the wheel) wins over the scrollbar fraction');
  assert.equal(pinned.topOf(5_000_010), jump);
  assert.equal(layoutRows({ ...args, scrollTop: 0, firstRow: 99_000_000 }).firstExact, atEnd.rowSpan, 'a pinned row is clamped to the end');
});

test('cells show binary as hex with size, structs as JSON, NULL, times as ISO, and long texts clipped (full on demand)', async () => {
  await withDuckDB(async (_run, conn) => {
    const sql = `select encode('hi!') as payload, {'a': 1, 'b': [2, 3]} as nested, null::VARCHAR as missing,
      timestamp '2024-01-02 03:04:05' as at, repeat('y', 5000) as long_text, 12345678901234::BIGINT as big`;
    const reply = await previewQuery(conn, sql, { offset: 0, limit: 10 });
    const [row] = decodeRows(reply.ipc, reply.columns);
    assert.ok(row);
    assert.equal(row[0], '0x686921 (3 bytes)');
    assert.equal(row[1], '{"a":1,"b":[2,3]}');
    assert.equal(row[2], 'NULL');
    assert.equal(row[3], '2024-01-02 03:04:05');
    assert.equal(row[4]?.length, CELL_CHARS + 1);
    assert.ok(row[4]?.endsWith('…'));
    assert.equal(row[5], '12345678901234');
    assert.equal(decodeFullValue(reply.ipc, reply.columns[4]!, 4).length, 5000);
    assert.equal(tableFromIPC(reply.ipc).numRows, 1);
  });
});

async function chart(
  run: (sql: string) => Promise<Record<string, unknown>[]>,
  kind: ChartKind,
  column: { name: string; type: string },
  filter?: string,
) {
  return toChartPoints(kind, column, await run(chartSql(kind, 't', column, filter)));
}

test('chart queries aggregate in DuckDB: top values, whole-number bins, date bins, and the grid filter', async () => {
  await withDuckDB(async (run) => {
    await run(
      `create table t as select i, i % 7 as "bu""cket", date '2024-01-01' + (i % 30)::INTEGER as day, 'v' || (i % 3) as label from range(700) r(i)`,
    );
    const bars = await chart(run, 'bar', { name: 'label', type: 'VARCHAR' });
    assert.deepEqual(
      bars.map((b) => b.value),
      [234, 233, 233],
    );
    assert.equal(bars[0]?.label, 'v0');

    const bins = await chart(run, 'histogram', { name: 'bu"cket', type: 'BIGINT' });
    assert.deepEqual(
      bins.map((b) => b.label),
      ['0', '1', '2', '3', '4', '5', '6'],
    );
    assert.deepEqual(
      bins.map((b) => b.value),
      [100, 100, 100, 100, 100, 100, 100],
    );

    const days = await chart(run, 'histogram', { name: 'day', type: 'DATE' });
    assert.equal(days.length, 20);
    assert.equal(days[0]?.label, '2024-01-01');
    assert.equal(
      days.reduce((sum, b) => sum + b.value, 0),
      700,
    );

    const filtered = await chart(run, 'bar', { name: 'label', type: 'VARCHAR' }, 'i < 10 -- a trailing comment');
    assert.deepEqual(
      filtered.map((b) => [b.label, b.value]),
      [
        ['v0', 4],
        ['v1', 3],
        ['v2', 3],
      ],
    );
    const line = await chart(run, 'line', { name: 'i', type: 'BIGINT' });
    assert.equal(
      line.reduce((sum, b) => sum + b.value, 0),
      700,
    );
  });
});

test('config schemas map to form fields: unions of constants and objects, string lists, and error paths', () => {
  const credentials: JsonSchema = {
    anyOf: [
      { type: 'string', enum: ['none', 'adc'] },
      { type: 'object', properties: { key_file: { type: 'string' } }, required: ['key_file'] },
    ],
  };
  const shape = shapeOf(credentials);
  assert.equal(shape.kind, 'union');
  assert.ok(shape.kind === 'union');
  assert.deepEqual(
    shape.choices.map((c) => c.label),
    ['none', 'adc', 'key_file'],
  );
  assert.equal(choiceIndexOf(shape.choices, 'adc'), 1);
  assert.equal(choiceIndexOf(shape.choices, { key_file: 'k.json' }), 2);
  assert.equal(shapeOf({ type: 'array', items: { type: 'string' } }).kind, 'string-list');
  assert.equal(shapeOf({ type: 'object', additionalProperties: { type: 'string' } }).kind, 'string-map');
  assert.deepEqual(shapeOf({ type: 'string', enum: ['csv', 'parquet'] }), { kind: 'enum', values: ['csv', 'parquet'] });
  assert.equal(configFieldOf('blocks[2].config.upload.parallelism'), 'upload.parallelism');
  assert.equal(configFieldOf('blocks[0].config.retries'), 'retries');
  assert.equal(configFieldOf('blocks[0].upstream'), undefined);
});
