import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  Binary,
  Bool,
  DateDay,
  Decimal,
  Dictionary,
  Float32,
  Float64,
  Int16,
  Int32,
  Int64,
  Int8,
  Table,
  TimeMicrosecond,
  Timestamp,
  TimestampMicrosecond,
  TimeUnit,
  Uint16,
  Uint32,
  Uint64,
  Uint8,
  Utf8,
  Vector,
  makeData,
  tableFromIPC,
  tableToIPC,
  vectorFromArray,
  type DataType,
} from 'apache-arrow';
import { resultToArrow } from '../main/data/arrow-convert.ts';
import { Workspace } from '../main/data/workspace.ts';
import type { BlockSession } from '../main/model/workspace-types.ts';

async function withSession(body: (session: BlockSession) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-arrow-'));
  const ws = await Workspace.open({ path: path.join(dir, 'workspace.duckdb'), threads: 2 });
  const session = await ws.openBlockSession({
    pipelineId: 'p',
    blockId: 'ts',
    runId: 'r1',
    attempt: 1,
    runOutputs: new Map(),
    readable: [],
  });
  try {
    await body(session);
  } finally {
    await session.close();
    await ws.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function arrowOf(sql: string): Promise<Table> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  try {
    return await resultToArrow(await conn.run(sql));
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

const vector = <T extends DataType>(values: unknown[], type: T) => vectorFromArray(values as never[], type as never) as Vector;

test('DuckDB types map to the documented Arrow types, NULLs and duplicate names included', async () => {
  const table = await arrowOf(`select
      1::utinyint as u8, 2::usmallint as u16, 3::uinteger as u32, 18446744073709551615::ubigint as u64, 1.5::float as f,
      timestamp_s '2024-01-02 03:04:05' as ts_s, timestamp_ms '2024-01-02 03:04:05.678' as ts_ms,
      timestamp_ns '2024-01-02 03:04:05.678901234' as ts_ns, '11111111-2222-3333-4444-555555555555'::uuid as id,
      interval 3 day as span, 'b'::enum('a', 'b') as choice, map(['k'], [1]) as m, 12.345::decimal(5,3) as dec,
      170141183460469231731687303715884105727::hugeint as huge, null as nothing, 1 as a, 2 as a
    union all select null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null`);
  const types = Object.fromEntries(table.schema.fields.map((f) => [f.name, String(f.type)]));
  assert.deepEqual(types, {
    u8: 'Uint8',
    u16: 'Uint16',
    u32: 'Uint32',
    u64: 'Uint64',
    f: 'Float32',
    ts_s: 'Timestamp<MICROSECOND>',
    ts_ms: 'Timestamp<MICROSECOND>',
    ts_ns: 'Timestamp<MICROSECOND>',
    id: 'Utf8',
    span: 'Utf8',
    choice: 'Utf8',
    m: 'Utf8',
    dec: 'Float64',
    huge: 'Utf8',
    nothing: 'Int32',
    a: 'Int32',
    'a:1': 'Int32',
  });
  const row = table.get(0)!.toJSON();
  assert.equal(row.u64, 18446744073709551615n);
  assert.equal(row.f, 1.5);
  assert.equal(row.ts_s, Date.UTC(2024, 0, 2, 3, 4, 5));
  assert.equal(row.ts_ms, Date.UTC(2024, 0, 2, 3, 4, 5, 678));
  const rawNs = (table.getChild('ts_ns')!.data[0]!.values as BigInt64Array)[0];
  assert.equal(rawNs, BigInt(Date.UTC(2024, 0, 2, 3, 4, 5, 678)) * 1000n + 901n, 'nanoseconds truncate to microseconds');
  assert.equal(row.id, '11111111-2222-3333-4444-555555555555');
  assert.equal(row.span, '3 days');
  assert.equal(row.choice, 'b');
  assert.equal(row.m, '[{"key":"k","value":1}]');
  assert.equal(row.dec, 12.345);
  assert.equal(row.huge, '170141183460469231731687303715884105727');
  assert.deepEqual([row.a, row['a:1']], [1, 2]);
  const nullRow = table.get(1)!.toJSON();
  for (const name of ['u8', 'u64', 'f', 'ts_ns', 'id', 'span', 'choice', 'm', 'dec', 'huge', 'nothing'])
    assert.equal(nullRow[name], null, name);
});

test('an empty result keeps its columns', async () => {
  const table = await arrowOf("select 1::bigint as x, 'a' as y where false");
  assert.equal(table.numRows, 0);
  const decoded = tableFromIPC(tableToIPC(table, 'stream'));
  assert.deepEqual(
    decoded.schema.fields.map((f) => `${f.name}:${f.type}`),
    ['x:Int64', 'y:Utf8'],
  );
});

test('an Arrow table round-trips through a DuckDB output with its types and values', async () => {
  const decimalData = makeData({
    type: new Decimal(2, 10, 128),
    length: 3,
    nullCount: 1,
    nullBitmap: new Uint8Array([0b101]),
    data: new Uint32Array([12345, 0, 0, 0, 0, 0, 0, 0, 0xffff_ff85, 0xffff_ffff, 0xffff_ffff, 0xffff_ffff]),
  });
  const source = new Table({
    i8: vector([-8, null, 8], new Int8()),
    i16: vector([-16, null, 16], new Int16()),
    i32: vector([-32, null, 32], new Int32()),
    i64: vector([-(2n ** 62n), null, 2n ** 62n], new Int64()),
    u8: vector([8, null, 255], new Uint8()),
    u16: vector([16, null, 65535], new Uint16()),
    u32: vector([32, null, 4294967295], new Uint32()),
    u64: vector([64n, null, 2n ** 64n - 1n], new Uint64()),
    f32: vector([1.5, null, -2.25], new Float32()),
    f64: vector([Math.PI, null, -1e300], new Float64()),
    ok: vector([true, null, false], new Bool()),
    s: vector(['héllo', null, ''], new Utf8()),
    day: vector([new Date(Date.UTC(1969, 11, 31)), null, new Date(Date.UTC(2024, 1, 29))], new DateDay()),
    moment: new Vector([
      makeData({
        type: new TimestampMicrosecond(),
        length: 3,
        nullCount: 1,
        nullBitmap: new Uint8Array([0b101]),
        data: new BigInt64Array([1_700_000_000_123_456n, 0n, -1n]),
      }),
    ]),
    atz: vector([Date.UTC(2024, 0, 1), null, 0], new Timestamp(TimeUnit.MILLISECOND, 'UTC')),
    clock: new Vector([
      makeData({
        type: new TimeMicrosecond(),
        length: 3,
        nullCount: 1,
        nullBitmap: new Uint8Array([0b101]),
        data: new BigInt64Array([3_723_000_001n, 0n, 86_399_999_999n]),
      }),
    ]),
    bytes: vector([new Uint8Array([0, 255]), null, new Uint8Array([])], new Binary()),
    money: new Vector([decimalData]),
    kind: vector(['x', null, 'x'], new Dictionary(new Utf8(), new Int32())),
  });
  await withSession(async (session) => {
    assert.equal(await session.writeOutputFromArrow(source), 3);
    const { columns } = await session.describe('ts');
    assert.deepEqual(Object.fromEntries(columns.map((c) => [c.name, c.type])), {
      i8: 'TINYINT',
      i16: 'SMALLINT',
      i32: 'INTEGER',
      i64: 'BIGINT',
      u8: 'UTINYINT',
      u16: 'USMALLINT',
      u32: 'UINTEGER',
      u64: 'UBIGINT',
      f32: 'FLOAT',
      f64: 'DOUBLE',
      ok: 'BOOLEAN',
      s: 'VARCHAR',
      day: 'DATE',
      moment: 'TIMESTAMP',
      atz: 'TIMESTAMP WITH TIME ZONE',
      clock: 'TIME',
      bytes: 'BLOB',
      money: 'DECIMAL(10,2)',
      kind: 'VARCHAR',
    });
    const [text] = await session.queryRows(
      `select money::varchar as money, moment::varchar as moment, clock::varchar as clock, day::varchar as day from ${session.relation('ts')} limit 1`,
    );
    assert.deepEqual(text, { money: '123.45', moment: '2023-11-14 22:13:20.123456', clock: '01:02:03.000001', day: '1969-12-31' });
    const [negative] = await session.queryRows(`select money::varchar as money from ${session.relation('ts')} offset 2`);
    assert.equal(negative?.money, '-1.23');

    const back = await session.readArrow('ts');
    assert.equal(back.numRows, 3);
    for (const name of ['i8', 'i16', 'i32', 'i64', 'u8', 'u16', 'u32', 'u64', 'f32', 'f64', 'ok', 's', 'day', 'atz', 'kind']) {
      assert.deepEqual(back.getChild(name)!.toArray().length, 3);
      for (let row = 0; row < 3; row++)
        assert.deepEqual(back.getChild(name)!.get(row), source.getChild(name as never)!.get(row), `${name}[${row}]`);
    }
    assert.deepEqual(
      [...(back.getChild('moment')!.data[0]!.values as BigInt64Array).slice(0, 3)].filter((_, i) => i !== 1),
      [1_700_000_000_123_456n, -1n],
    );
    assert.equal(back.getChild('clock')!.get(0), 3_723_000_001n);
    assert.deepEqual(back.getChild('bytes')!.get(0), new Uint8Array([0, 255]));
    assert.equal(back.getChild('money')!.get(0), 123.45);
    assert.equal(back.getChild('money')!.get(1), null);
  });
});

test('a large multi-batch Arrow table is written exactly, across appender chunks', async () => {
  const batches = [0, 1, 2].map(
    (b) =>
      new Table({
        n: vector(
          Array.from({ length: 7_000 }, (_, i) => b * 7_000 + i),
          new Int32(),
        ),
        label: vector(
          Array.from({ length: 7_000 }, (_, i) => (i % 3 === 0 ? null : `v${b * 7_000 + i}`)),
          new Utf8(),
        ),
      }),
  );
  const source = batches[0]!.concat(batches[1]!, batches[2]!);
  assert.equal(source.batches.length, 3);
  await withSession(async (session) => {
    await session.writeOutputFromArrow(source.slice(500));
    const [stats] = await session.queryRows(
      `select count(*) as n, sum(n) as total, count(label) as labels, min(n) as lo, max(n) as hi,
        count(*) filter (where label = 'v' || n) as matching from ${session.relation('ts')}`,
    );
    const expectedRows = 21_000 - 500;
    const expectedLabels = Array.from({ length: expectedRows }, (_, i) => i + 500).filter((n) => (n % 7_000) % 3 !== 0).length;
    assert.deepEqual(stats, {
      n: BigInt(expectedRows),
      total: BigInt(((500 + 20_999) * expectedRows) / 2),
      labels: BigInt(expectedLabels),
      lo: 500,
      hi: 20_999,
      matching: BigInt(expectedLabels),
    });
  });
});

test('closing a session stops a large Arrow write and leaves no table behind', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-arrow-'));
  const ws = await Workspace.open({ path: path.join(dir, 'workspace.duckdb'), threads: 2 });
  try {
    const session = await ws.openBlockSession({
      pipelineId: 'p',
      blockId: 'big',
      runId: 'r1',
      attempt: 1,
      runOutputs: new Map(),
      readable: [],
    });
    const big = new Table({
      n: vector(
        Array.from({ length: 1_000_000 }, (_, i) => i),
        new Int32(),
      ),
    });
    const writing = session.writeOutputFromArrow(big);
    await session.close();
    await assert.rejects(writing, /cancelled|interrupt/i);
    assert.equal(session.outputTable, undefined);
    const tables = await ws.query(`select count(*) as n from duckdb_tables() where schema_name = '_pw_out'`, { offset: 0, limit: 1 });
    assert.equal(tableFromIPC(tables.ipc).get(0)?.n, 0n);
  } finally {
    await ws.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
