import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { z } from 'zod';
import type { BlockKind } from '../main/model/block-kind.ts';
import { checkWireSchema, wireFileSelect, writeWireFile } from '../main/python/exchange-sql.ts';
import { withPipeline } from './helpers/run-project.ts';
import { failedEvent, logsOf, py, query, runAll, settings } from './helpers/python-blocks.ts';

const EVERY_TYPE_SQL = `
select * from (values
  (1::TINYINT, 2::SMALLINT, 3::INTEGER, 4::BIGINT, 5::UTINYINT, 6::UBIGINT, 7::BIGINT, 1.5::FLOAT, 0.1::DOUBLE, 'nan'::DOUBLE,
   true, false, 'héllo, "world"' || chr(10) || 'line 2', '', 12.50::DECIMAL(10,2), 123456789012345678.123456789::DECIMAL(38,9),
   TIMESTAMP '2024-01-02 03:04:05.123456', TIMESTAMPTZ '2024-01-02 03:04:05.5+00', TIMESTAMP_NS '2024-01-02 03:04:05.123456789',
   DATE '2024-02-29', TIME '12:34:56.789', '\\x00\\xffab'::BLOB, 170141183460469231731687303715884105727::HUGEINT, [1, 2], {'a': 1}),
  (NULL, NULL, NULL, NULL, NULL, NULL, '-9223372036854775808'::BIGINT, NULL, NULL, NULL,
   NULL, true, NULL, NULL, NULL, NULL, TIMESTAMP '1970-01-01 00:00:00', NULL, NULL, DATE '0001-01-01', NULL, NULL, NULL, NULL, NULL),
  (-1::TINYINT, -2::SMALLINT, -3::INTEGER, -4::BIGINT, 255::UTINYINT, 18446744073709551615::UBIGINT, 9223372036854775807::BIGINT,
   -1.25::FLOAT, 1e300::DOUBLE, -0.0::DOUBLE, NULL, true, ' nan' || chr(13) || chr(10) || ' "q",NULL ', NULL, -0.01::DECIMAL(10,2), 0::DECIMAL(38,9), TIMESTAMP '1900-01-01 00:00:00.000001',
   TIMESTAMPTZ '1969-12-31 23:59:59.999999+00', TIMESTAMP_NS '2262-04-11 00:00:00', DATE '9999-12-31', TIME '00:00:00', ''::BLOB, -1::HUGEINT, [], {'a': NULL})
) t(ti, si, i, bi, uti, ubi, bi_full, f, d, d_nan, b, b_full, s, s_empty, dec, dec_wide, ts, tstz, ts_ns, dt, tm, bl, hi, list, struct)
`;

const IDENTITY_PY = `import pandas as pd
import datetime, decimal


@transform
def identity(df):
    print(dict(df.dtypes.astype(str)))
    return df


@test
def test_pandas_types(output):
    dtypes = dict(output.dtypes.astype(str))
    assert dtypes['ti'] == 'Int8' and dtypes['bi'] == 'Int64' and dtypes['ubi'] == 'UInt64', dtypes
    assert dtypes['bi_full'] == 'int64' and dtypes['b'] == 'boolean' and dtypes['b_full'] == 'bool', dtypes
    assert dtypes['f'] == 'float32' and dtypes['d'] == 'float64', dtypes
    assert dtypes['ts'] == 'datetime64[ns]' and dtypes['tstz'] == 'datetime64[ns, UTC]', dtypes
    assert output['dec'][0] == decimal.Decimal('12.50') and output['dec'][1] is None
    assert output['dt'][0] == datetime.date(2024, 2, 29) and output['tm'][0] == datetime.time(12, 34, 56, 789000)
    assert output['bl'][0] == b'\\x00\\xffab' and output['bl'][2] == b'' and output['bl'][1] is None
    assert output['s_empty'][0] == '' and output['s_empty'][1] is None
    assert output['hi'][0] == 2**127 - 1
    assert output['ts_ns'][0].nanosecond == 789
`;

test('every DuckDB type and NULL survive a round trip through an identity Python block, exactly and with pandas types', async () => {
  await withPipeline(
    {
      blocks: [{ id: 'src', type: 'source', kind: 'sql', file: 'blocks/src.sql' }, py('same', 'transform', ['src'])],
    },
    async (ctx) => {
      const result = await runAll(ctx);
      const same = ctx.events.find((e) => e.type === 'block.succeeded' && e.blockId === 'same');
      assert.equal(result.status, 'succeeded', JSON.stringify(ctx.events.filter((e) => e.type === 'block.failed')));
      assert.ok(same?.type === 'block.succeeded');
      assert.deepEqual(same.tests, [{ name: 'test_pandas_types', passed: true }]);
      const src = await query(ctx, 'select * from p.src');
      const out = await query(ctx, 'select * from p.same');
      const expectedTypes = { ...src.types, list: 'VARCHAR', struct: 'VARCHAR' }; // nested values come back as JSON text
      assert.deepEqual(out.types, expectedTypes);
      const differing = await query(
        ctx,
        `
      select * from (select * replace (to_json(list)::VARCHAR as list, to_json(struct)::VARCHAR as struct) from p.src)
      except all select * from p.same`,
      );
      // DuckDB's NaN is pandas' missing value: it comes back as NULL (the one documented change).
      assert.deepEqual(
        differing.rows.map((r) => r.d_nan),
        [Number.NaN],
      );
      const nanRow = await query(ctx, 'select count(*) as n from p.same where d_nan is null');
      assert.equal(Number(nanRow.rows[0]?.n), 2); // the NaN and the NULL
    },
    { settings, files: { 'blocks/src.sql': EVERY_TYPE_SQL, 'blocks/same.py': IDENTITY_PY } },
  );
});

test('an empty DataFrame keeps its column types through a Python transform, and config.function picks the function', async () => {
  const load =
    "import pandas as pd\nfrom pipewright import source\n\n\n@source\ndef load():\n    return pd.DataFrame({'n': pd.Series([], dtype='int32'), 's': pd.Series([], dtype=object), 't': pd.Series([], dtype='datetime64[ns]')})\n";
  const pass = "def unused(df):\n    raise RuntimeError('not this one')\n\n\ndef keep(df):\n    return df\n";
  await withPipeline(
    { blocks: [py('load', 'source'), py('pass_on', 'transform', ['load'], { config: { function: 'keep' } })] },
    async (ctx) => {
      const result = await runAll(ctx);
      assert.equal(result.status, 'succeeded', JSON.stringify(ctx.events.filter((e) => e.type === 'block.failed')));
      const { rows, types } = await query(ctx, 'select * from p.pass_on');
      assert.deepEqual(rows, []);
      assert.deepEqual(types, { n: 'INTEGER', s: 'VARCHAR', t: 'TIMESTAMP' });
    },
    { settings, files: { 'blocks/load.py': load, 'blocks/pass_on.py': pass } },
  );
});

test('columns whose names differ only in case are refused with both names, at the function that returned them', async () => {
  const code = "import pandas as pd\n\n\n@source\ndef load():\n    return pd.DataFrame({'Zone': [1], 'zone': [2]})\n";
  await withPipeline(
    { blocks: [py('load', 'source')] },
    async (ctx) => {
      await runAll(ctx);
      const failed = failedEvent(ctx.events, 'load');
      assert.match(failed.error.message, /cannot be written: two columns are named 'Zone' and 'zone'/);
      assert.deepEqual(failed.error.place, { block: 'load', file: 'blocks/load.py', line: 5 });
    },
    { settings, files: { 'blocks/load.py': code } },
  );
});

/**
 * DuckDB's half of the pyarrow exchange (Parquet wire files), which runs without pyarrow: an upstream written as
 * wire Parquet and loaded back with the schema the Python side would report gives the same table.
 */
const parquetRoundTrip: BlockKind<Record<string, never>> = {
  type: 'transform',
  kind: 'parquet_wire_round_trip',
  title: 'test',
  configSchema: z.strictObject({}),
  code: 'none',
  async run(ctx) {
    const file = path.join(ctx.tempDir, 'wire.parquet');
    const { columns } = await writeWireFile(ctx.data, ctx.block.upstream[0] ?? '', file, 'parquet');
    // As pw_codec reports them: TIMESTAMPTZ by that name, nested values as JSON text.
    const reported = columns.map((c) => ({
      ...c,
      type: c.type === 'TIMESTAMP WITH TIME ZONE' ? 'TIMESTAMPTZ' : c.kind === 'str' ? 'VARCHAR' : c.type,
    }));
    const rowsOut = await ctx.data.writeOutputFromQuery(wireFileSelect(file, 'parquet', checkWireSchema(reported)));
    return { rowsOut, hasOutput: true };
  },
};

test('the DuckDB half of the Parquet exchange (used with pyarrow) keeps every type and NULL exactly', async () => {
  await withPipeline(
    {
      blocks: [
        { id: 'src', type: 'source', kind: 'sql', file: 'blocks/src.sql' },
        { id: 'rt', type: 'transform', kind: 'parquet_wire_round_trip', upstream: ['src'] },
      ],
    },
    async (ctx) => {
      const result = await runAll(ctx);
      assert.equal(result.status, 'succeeded', JSON.stringify(ctx.events.filter((e) => e.type === 'block.failed')));
      const src = await query(ctx, 'select * from p.src');
      const out = await query(ctx, 'select * from p.rt');
      assert.deepEqual(out.types, { ...src.types, list: 'VARCHAR', struct: 'VARCHAR' });
      const differing = await query(
        ctx,
        `
      select * from (select * replace (to_json(list)::VARCHAR as list, to_json(struct)::VARCHAR as struct) from p.src)
      except all select * from p.rt`,
      );
      assert.deepEqual(differing.rows, []);
    },
    { settings, kinds: [parquetRoundTrip], files: { 'blocks/src.sql': EVERY_TYPE_SQL } },
  );
});

test('pandas-side types get DuckDB types: timedeltas, zoned and object datetimes, categories, dicts, big ints, mixed columns', async () => {
  const code = `import datetime as dt
import decimal
import pandas as pd


@source
def load():
    return pd.DataFrame({
        'took': pd.to_timedelta(['1 days 00:00:01.5', None]),
        'paris': pd.to_datetime(['2024-06-01 12:00', None]).tz_localize('Europe/Paris'),
        'naive_obj': [dt.datetime(2024, 1, 2, 3, 4, 5, 6), None],
        'cat': pd.Categorical(['a', None]),
        'doc': [{'k': [1, 2]}, None],
        'huge': [2**70, None],
        'mixed': [1, 'one'],
        'text': pd.array(['x', None], dtype='string'),
        'f_none': [1.5, None],
        'money': [decimal.Decimal('1.5'), decimal.Decimal('-12.25')],
        'empty_and_null': ['', None],
    }).set_index(pd.Index([7, 8], name='row_id'))
`;
  await withPipeline(
    { blocks: [py('load', 'source')] },
    async (ctx) => {
      const result = await runAll(ctx);
      assert.equal(result.status, 'succeeded', JSON.stringify(ctx.events.filter((e) => e.type === 'block.failed')));
      const { rows } = await query(
        ctx,
        `select row_id, took::VARCHAR as took, strftime(paris, '%Y-%m-%d %H:%M') as paris_utc, naive_obj::VARCHAR as naive_obj,
      cat, doc, huge::VARCHAR as huge, mixed, text, f_none, money::VARCHAR as money, empty_and_null from p.load order by row_id`,
      );
      assert.deepEqual(rows, [
        {
          row_id: 7n,
          took: '24:00:01.5',
          paris_utc: '2024-06-01 10:00',
          naive_obj: '2024-01-02 03:04:05.000006',
          cat: 'a',
          doc: '{"k": [1, 2]}',
          huge: String(2n ** 70n),
          mixed: '1',
          text: 'x',
          f_none: 1.5,
          money: '1.50',
          empty_and_null: '',
        },
        {
          row_id: 8n,
          took: null,
          paris_utc: null,
          naive_obj: null,
          cat: null,
          doc: null,
          huge: null,
          mixed: 'one',
          text: null,
          f_none: null,
          money: '-12.25',
          empty_and_null: null,
        },
      ]);
      const all = await query(ctx, 'select * from p.load');
      assert.deepEqual(all.types, {
        row_id: 'BIGINT',
        took: 'INTERVAL',
        paris: 'TIMESTAMP WITH TIME ZONE',
        naive_obj: 'TIMESTAMP',
        cat: 'VARCHAR',
        doc: 'VARCHAR',
        huge: 'HUGEINT',
        mixed: 'VARCHAR',
        text: 'VARCHAR',
        f_none: 'DOUBLE',
        money: 'DECIMAL(18,2)',
        empty_and_null: 'VARCHAR',
      });
      assert.ok(logsOf(ctx.events, 'load').includes('column mixed mixes int, str values: written as text'));
    },
    { settings, files: { 'blocks/load.py': code } },
  );
});

test('timestamps pandas cannot hold are refused with the upstream and column named, not a crash', async () => {
  await withPipeline(
    {
      blocks: [{ id: 'src', type: 'source', kind: 'sql', file: 'blocks/src.sql' }, py('late', 'transform', ['src'])],
    },
    async (ctx) => {
      await runAll(ctx);
      const failed = failedEvent(ctx.events, 'late');
      assert.equal(failed.error.kind, 'user');
      assert.equal(
        failed.error.message,
        'upstream src cannot become a DataFrame: column ts holds timestamps outside what pandas can hold (1677-09-21 to 2262-04-11)',
      );
    },
    {
      settings,
      files: { 'blocks/src.sql': "select TIMESTAMP '3000-01-01' as ts", 'blocks/late.py': '@transform\ndef late(df):\n    return df\n' },
    },
  );
});

test('a one-column table with NULL rows keeps every row both ways (an empty line is a NULL, not a blank line)', async () => {
  await withPipeline(
    {
      blocks: [{ id: 'src', type: 'source', kind: 'sql', file: 'blocks/src.sql' }, py('same', 'transform', ['src'])],
    },
    async (ctx) => {
      const result = await runAll(ctx);
      assert.equal(result.status, 'succeeded', JSON.stringify(ctx.events.filter((e) => e.type === 'block.failed')));
      assert.ok(logsOf(ctx.events, 'same').includes('3 rows'));
      const { rows } = await query(ctx, 'select count(*) as n, count(v) as v from p.same');
      assert.deepEqual(rows, [{ n: 3n, v: 1n }]);
    },
    {
      settings,
      files: {
        'blocks/src.sql': "select * from (values (NULL::VARCHAR), ('x'), (NULL)) t(v)",
        'blocks/same.py': "@transform\ndef same(df):\n    print(f'{len(df)} rows')\n    return df\n",
      },
    },
  );
});
