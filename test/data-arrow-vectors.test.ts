// The fast paths between DuckDB vectors and Arrow buffers (main/data/vector-read.ts, vector-write.ts): exact round
// trips over thousands of rows with NULLs across DuckDB's 2,048-row chunks, and the value-by-value path as the oracle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import {
  Bool,
  DateMillisecond,
  Dictionary,
  Field,
  Float64,
  Int32,
  Int64,
  Schema,
  Table,
  TimeMillisecond,
  Timestamp,
  TimeUnit,
  Utf8,
  Vector,
  makeData,
  tableFromIPC,
  tableToIPC,
  vectorFromArray,
  type DataType,
} from 'apache-arrow';
import { arrowToAppendColumns, DUCKDB_TYPE_METADATA, resultToArrowParts } from '../main/data/arrow-convert.ts';
import { createAndAppend, createAndAppendBatches, rowsToAppendColumns, type AppendBatch } from '../main/data/table-append.ts';
import { UserError } from '../main/model/errors.ts';

async function withConnection(body: (conn: DuckDBConnection, instance: DuckDBInstance) => Promise<void>): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '2' });
  const conn = await instance.connect();
  try {
    await body(conn, instance);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

async function scalar(conn: DuckDBConnection, sql: string): Promise<unknown> {
  return (await conn.runAndReadAll(sql)).getRows()[0]?.[0];
}

async function typesOf(conn: DuckDBConnection, table: string): Promise<string[]> {
  const rows = (await conn.runAndReadAll(`DESCRIBE ${table}`)).getRowObjectsJS();
  return rows.map((r) => `${String(r.column_name)} ${String(r.column_type)}`);
}

/** Rows of `a` not in `b` plus rows of `b` not in `a`, duplicates counted (NULLs compare equal in set operations). */
async function differingRows(conn: DuckDBConnection, a: string, b: string): Promise<bigint> {
  return (await scalar(
    conn,
    `SELECT (SELECT count(*) FROM (FROM ${a} EXCEPT ALL FROM ${b})) + (SELECT count(*) FROM (FROM ${b} EXCEPT ALL FROM ${a}))`,
  )) as bigint;
}

const SOURCE = `CREATE TABLE src AS SELECT
    i,
    CASE WHEN i % 7 = 3 THEN NULL ELSE (i * 900000000000001) * (CASE WHEN i % 2 = 0 THEN 1 ELSE -1 END) END::BIGINT AS big,
    (18446744073709551615 - i)::UBIGINT AS ubig,
    CASE WHEN i % 64 = 0 THEN NULL ELSE (i % 256 - 128)::TINYINT END AS tiny,
    (i % 65536 - 32768)::SMALLINT AS small,
    (i * 214748)::INTEGER AS int,
    (i % 256)::UTINYINT AS u8, (i % 65536)::USMALLINT AS u16, (i * 429496)::UINTEGER AS u32,
    CASE WHEN i % 13 = 0 THEN NULL ELSE (i / 8)::FLOAT END AS f,
    CASE WHEN i % 9 = 0 THEN NULL ELSE i * 1.1 - 5000 END::DOUBLE AS d,
    CASE WHEN i % 11 = 0 THEN NULL ELSE i % 3 = 0 END AS ok,
    CASE WHEN i % 17 = 0 THEN NULL ELSE DATE '1969-12-01' + i::INTEGER END AS day,
    make_time(i % 24, i % 60, (i % 60) + 0.123456) AS clock,
    CASE WHEN i % 19 = 0 THEN NULL ELSE TIMESTAMP '1960-01-01' + to_microseconds(i * 987654321987) END AS ts,
    (TIMESTAMP '1999-12-31 23:59:59.999999' + to_microseconds(i))::TIMESTAMPTZ AS tstz,
    CASE i % 4 WHEN 0 THEN 'é' || i WHEN 1 THEN repeat('ü🙂', i % 20) || i WHEN 2 THEN '' ELSE NULL END AS txt,
    CASE WHEN i % 6 = 0 THEN NULL ELSE encode(repeat('x', i % 30)) END AS bytes,
    CASE WHEN i % 23 = 0 THEN NULL ELSE (i * 1.37 - 2000)::DECIMAL(10,2) END AS dec,
    ((i % 1000) / 10 - 50)::DECIMAL(4,1) AS dec4,
    (i * 1234.567)::DECIMAL(18,3) AS dec18
  FROM range(10000) t(i)`;

test('a DuckDB table goes to Arrow parts and back unchanged: every type, NULLs across chunks, > 2^53, unicode', async () => {
  await withConnection(async (conn, instance) => {
    await conn.run("SET TimeZone = 'UTC'");
    await conn.run(SOURCE);
    // Its own connection, as the block session reads: a statement on the writing one would end the stream.
    const reader = await instance.connect();
    const parts = resultToArrowParts(await reader.stream('SELECT * FROM src'), 3_000);
    let partCount = 0;
    async function* overTheWorkerBoundary(): AsyncGenerator<AppendBatch> {
      for await (const part of parts) {
        partCount++;
        const table = tableFromIPC(tableToIPC(part, 'stream')); // as a TypeScript block's parts travel
        yield { columns: arrowToAppendColumns(table), rowCount: table.numRows };
      }
    }
    assert.equal(await createAndAppendBatches(conn, 'main', 'dst', overTheWorkerBoundary(), () => false, true), 10_000);
    assert.ok(partCount > 2, `parts of ~3,000 rows: ${partCount}`);
    assert.deepEqual(await typesOf(conn, 'dst'), await typesOf(conn, 'src'));
    assert.equal(await differingRows(conn, 'src', 'dst'), 0n);
    // The oracle is DuckDB's own table: a sample of values read back as text.
    const sample = `SELECT big::VARCHAR, txt, bytes::VARCHAR, dec::VARCHAR, ts::VARCHAR FROM %s WHERE i IN (1, 2049, 4097) ORDER BY i`;
    const read = async (t: string) => (await conn.runAndReadAll(sample.replace('%s', t))).getRows();
    assert.deepEqual(await read('dst'), await read('src'));
    assert.deepEqual((await read('dst'))[0]?.slice(0, 2), ['-900000000000001', 'ü🙂1']);
  });
});

test('an Arrow table of sliced, multi-piece and converted columns writes what the value-by-value path writes', async () => {
  const n = 5_000;
  const pick = <T>(make: (i: number) => T, nullEvery: number) =>
    Array.from({ length: n }, (_, i) => (i % nullEvery === 0 ? null : make(i)));
  const vec = (values: unknown[], type: DataType) => vectorFromArray(values as never[], type as never) as Vector;
  const full = new Table({
    big: vec(
      pick((i) => BigInt(i) * 3_000_000_000_000_001n, 7),
      new Int64(),
    ),
    ms: vec(
      pick((i) => i * 86_400_123 - 1e9, 5),
      new Timestamp(TimeUnit.MILLISECOND),
    ),
    sec: vec(
      pick((i) => i * 3_601_000, 9),
      new Timestamp(TimeUnit.SECOND, 'UTC'),
    ), // the builder takes milliseconds
    day: vec(
      pick((i) => (i - 2_500) * 86_400_000, 4),
      new DateMillisecond(),
    ),
    clockMs: vec(
      pick((i) => (i * 1_777) % 86_400_000, 6),
      new TimeMillisecond(),
    ),
    ok: vec(
      pick((i) => i % 3 === 0, 10),
      new Bool(),
    ),
    txt: vec(
      pick((i) => (i % 2 ? `ü${'🙂'.repeat(i % 9)}${i}` : ''), 8),
      new Utf8(),
    ),
    kind: vec(
      pick((i) => ['a', 'bé', 'a long dictionary entry 🙂'][i % 3], 11),
      new Dictionary(new Utf8(), new Int32()),
    ),
    money: new Vector([makeData({ type: new Float64(), length: n, data: Float64Array.from({ length: n }, (_, i) => i * 0.37 - 900) })]),
  });
  // Offsets that are not multiples of 8 (bitmaps and booleans shifted) and pieces that straddle DuckDB's chunks.
  const table = full.slice(3, 1_203).concat(full.slice(1_203, 1_204), full.slice(1_204, 4_999));
  const withDecimal = new Table(
    new Schema(
      table.schema.fields.map((f) =>
        f.name === 'money' ? new Field(f.name, f.type, true, new Map([[DUCKDB_TYPE_METADATA, 'DECIMAL(9,2)']])) : f,
      ),
    ),
    table.batches.map((b) => b),
  );
  await withConnection(async (conn) => {
    const fast = arrowToAppendColumns(withDecimal);
    assert.ok(
      fast.every((c) => c.write),
      'every column here has a fast writer',
    );
    const slow = fast.map(({ write: _unused, ...column }) => column);
    await createAndAppend(conn, 'main', 'fast', fast, withDecimal.numRows);
    await createAndAppend(conn, 'main', 'slow', slow, withDecimal.numRows);
    assert.deepEqual(await typesOf(conn, 'fast'), await typesOf(conn, 'slow'));
    assert.equal(await scalar(conn, 'SELECT count(*) FROM fast'), 4_996n);
    assert.equal(await differingRows(conn, 'fast', 'slow'), 0n);
    const nullBigs = Array.from({ length: 4_996 }, (_, k) => k + 3).filter((i) => i % 7 === 0).length;
    assert.equal(await scalar(conn, 'SELECT count(*) FROM fast WHERE big IS NULL'), BigInt(nullBigs));
    assert.equal(await scalar(conn, 'SELECT money::VARCHAR FROM fast LIMIT 1'), (3 * 0.37 - 900).toFixed(2));
  });
});

test('strings that are not UTF-8 are written as the value-by-value path decodes them, not as raw bytes', async () => {
  const bytes = new Uint8Array([0x61, 0xff, 0x62, 0xc3, 0xa9]); // 'a', a stray 0xff, 'b', then 'é' split across two values
  const data = makeData({ type: new Utf8(), length: 3, valueOffsets: new Int32Array([0, 3, 4, 5]), data: bytes });
  const table = new Table({ s: new Vector([data]) });
  await withConnection(async (conn) => {
    const fast = arrowToAppendColumns(table);
    await createAndAppend(conn, 'main', 'fast', fast, 3);
    await createAndAppend(
      conn,
      'main',
      'slow',
      fast.map(({ write: _unused, ...column }) => column),
      3,
    );
    assert.equal(await differingRows(conn, 'fast', 'slow'), 0n);
    assert.deepEqual(
      (await conn.runAndReadAll('SELECT s FROM fast')).getRows().map((r) => r[0]),
      ['a\ufffdb', '\ufffd', '\ufffd'],
    );
  });
});

test('a number that does not fit the DECIMAL its column came from is refused, naming the column and row', async () => {
  const field = new Field('price', new Float64(), true, new Map([[DUCKDB_TYPE_METADATA, 'DECIMAL(5,2)']]));
  const data = makeData({ type: new Float64(), length: 3, data: new Float64Array([1.5, 999.99, 1000]) });
  const table = new Table(new Schema([field]), [new Table({ price: new Vector([data]) }).batches[0]!]);
  await withConnection(async (conn) => {
    await assert.rejects(
      createAndAppend(conn, 'main', 'out', arrowToAppendColumns(table), 3),
      (error: unknown) => error instanceof UserError && /row 3, column price: 1000 does not fit DECIMAL\(5,2\)/.test(error.message),
    );
  });
});

test('plain JS rows write what the value-by-value path writes: every inferred kind, NULLs and missing keys', async () => {
  const rows = Array.from({ length: 5_000 }, (_, i) => {
    const row: Record<string, unknown> = {
      int: i % 7 === 0 ? null : (i % 2 ? -1 : 1) * (i === 1 ? Number.MAX_SAFE_INTEGER : i * 4_294_967_311),
      wide: i % 5 === 0 ? 2n ** 63n - 1n - BigInt(i) : i % 5 === 1 ? -(2n ** 63n) + BigInt(i) : i,
      real: i % 9 === 0 ? undefined : i % 11 === 0 ? Infinity : i / 7 - 300,
      ok: i % 13 === 0 ? null : i % 3 === 0,
      text: i % 4 === 0 ? null : `ü${'🙂'.repeat(i % 7)}${i}`,
      moment: i % 6 === 0 ? null : new Date(Date.UTC(1965, 0, 1) + i * 86_400_123),
      doc: i % 8 === 0 ? null : { i, tags: ['a', i], big: BigInt(i) * 10n ** 17n },
      mixed: [i, `s${i}`, true, null][i % 4],
      nothing: null,
    };
    if (i % 10 === 3) delete row.text; // a missing key is a NULL
    return row;
  });
  await withConnection(async (conn) => {
    const fast = rowsToAppendColumns(rows);
    assert.ok(
      fast.every((c) => c.write),
      'every column here has a fast writer',
    );
    await createAndAppend(conn, 'main', 'fast', fast, rows.length);
    await createAndAppend(
      conn,
      'main',
      'slow',
      fast.map(({ write: _unused, ...column }) => column),
      rows.length,
    );
    assert.deepEqual(await typesOf(conn, 'fast'), await typesOf(conn, 'slow'));
    assert.equal(await differingRows(conn, 'fast', 'slow'), 0n);
    const first = (await conn.runAndReadAll('SELECT int, wide::VARCHAR, text, moment::VARCHAR FROM fast LIMIT 2 OFFSET 1')).getRows();
    assert.deepEqual(first[0], [-BigInt(Number.MAX_SAFE_INTEGER), (-(2n ** 63n) + 1n).toString(), 'ü🙂1', '1965-01-02 00:00:00.123']);
  });
});

test('a bigint outside BIGINT in a row is refused, naming the row and column', async () => {
  const rows = [{ id: 1n }, { id: 2n ** 63n }];
  await withConnection(async (conn) => {
    await assert.rejects(
      createAndAppend(conn, 'main', 'out', rowsToAppendColumns(rows), rows.length),
      (error: unknown) => error instanceof UserError && /row 2, column id: 9223372036854775808 does not fit BIGINT/.test(error.message),
    );
  });
});
