import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { blockError, createPgProject, runPipeline, startTestPostgres, writeExportPipeline, type TestPostgres } from './helpers/postgres.ts';

let pgServer: TestPostgres;
before(async () => {
  pgServer = await startTestPostgres();
});
after(async () => {
  await pgServer.stop();
});

const ODD_SQL = `select * from (values
  (1, 'ünïcødé ✓ 中文', 1.5::double, timestamp '2021-01-01 00:15:56', timestamptz '2021-01-01 00:15:56+02', 'a,b "c"' || chr(10) || 'd', [1, 2], {'k': 'v'}, 12.34::decimal(10,2), '\\x01\\xFF'::blob, true, date '2021-01-31', interval 2 hours),
  (2, '', 'NaN'::double, null, null, null, [], null, null, null, null, null, null),
  (3, null, 'Infinity'::double, timestamp '1999-12-31 23:59:59.123456', timestamptz '2000-06-01 12:00:00+00', 'x', null, {'k': null}, -0.01, ''::blob, false, null, null),
  (4, 'z', '-Infinity'::double, null, null, null, null, null, null, null, null, null, null)
) t("Order", "two words", "a""b", ts, tstz, csvish, list, struct, amount, bytes, flag, day, span)`;

test('replace creates the schema and table with mapped types and round-trips odd names, NULLs, NaN/Infinity, zones and unicode', async () => {
  const project = createPgProject(pgServer);
  try {
    writeExportPipeline(project, { sql: ODD_SQL, config: { schema: 'odd "schema".x', table: 'two words; drop table x', mode: 'replace' } });
    const { result } = await runPipeline(project.dir);
    assert.equal(result.status, 'succeeded', blockError(result, 'to_pg'));
    const block = result.blocks.find((b) => b.id === 'to_pg');
    assert.equal(block?.rows, 4);

    const types = await pgServer.query<{ name: string; type: string }>(
      `select attname as name, format_type(atttypid, atttypmod) as type from pg_attribute
        where attrelid = '"odd ""schema"".x"."two words; drop table x"'::regclass and attnum > 0 order by attnum`,
    );
    assert.deepEqual(Object.fromEntries(types.map((t) => [t.name, t.type])), {
      Order: 'integer',
      'two words': 'text',
      'a"b': 'double precision',
      ts: 'timestamp without time zone',
      tstz: 'timestamp with time zone',
      csvish: 'text',
      list: 'jsonb',
      struct: 'jsonb',
      amount: 'numeric(10,2)',
      bytes: 'bytea',
      flag: 'boolean',
      day: 'date',
      span: 'interval',
    });
    const rows = await pgServer.query(
      `select "Order", "two words", "a""b"::text as f, ts::text, extract(epoch from tstz)::bigint as tstz_epoch, csvish, list::text, struct::text,
              amount::text, encode(bytes, 'hex') as bytes, flag, day::text, span::text
         from "odd ""schema"".x"."two words; drop table x" order by "Order"`,
    );
    assert.deepEqual(rows[0], {
      Order: 1,
      'two words': 'ünïcødé ✓ 中文',
      f: '1.5',
      ts: '2021-01-01 00:15:56',
      tstz_epoch: '1609452956',
      csvish: 'a,b "c"\nd',
      list: '[1, 2]',
      struct: '{"k": "v"}',
      amount: '12.34',
      bytes: '01ff',
      flag: true,
      day: '2021-01-31',
      span: '02:00:00',
    });
    assert.equal(rows[1]?.['two words'], '', 'an empty string stays an empty string');
    assert.equal(rows[1]?.f, 'NaN');
    assert.equal(rows[1]?.list, '[]');
    assert.equal(rows[1]?.ts, null);
    assert.equal(rows[2]?.['two words'], null, 'NULL stays NULL');
    assert.equal(rows[2]?.f, 'Infinity');
    assert.equal(rows[2]?.ts, '1999-12-31 23:59:59.123456');
    assert.equal(rows[2]?.bytes, '');
    assert.equal(rows[3]?.f, '-Infinity');
  } finally {
    project.cleanup();
  }
});

test('replace swaps in the new rows on a re-run, and an export of zero rows still creates or empties the table', async () => {
  const project = createPgProject(pgServer);
  try {
    writeExportPipeline(project, {
      sql: 'select range as id, range * 2 as twice from range(1000)',
      config: { schema: 'rerun', table: 't' },
    });
    assert.equal((await runPipeline(project.dir)).result.status, 'succeeded');
    writeExportPipeline(project, { sql: 'select range as id, range * 3 as twice from range(10)', config: { schema: 'rerun', table: 't' } });
    assert.equal((await runPipeline(project.dir)).result.status, 'succeeded');
    assert.deepEqual(await pgServer.query('select count(*)::int as n, sum(twice)::int as s from rerun.t'), [{ n: 10, s: 135 }]);

    writeExportPipeline(project, { sql: 'select range as id, range * 3 as twice from range(0)', config: { schema: 'rerun', table: 't' } });
    assert.equal((await runPipeline(project.dir)).result.status, 'succeeded');
    assert.deepEqual(await pgServer.query('select count(*)::int as n from rerun.t'), [{ n: 0 }]);
    writeExportPipeline(project, { sql: "select 1 as id, 'x' as name where false", config: { schema: 'rerun', table: 'empty_new' } });
    assert.equal((await runPipeline(project.dir)).result.status, 'succeeded');
    const columns = await pgServer.query(
      `select column_name from information_schema.columns where table_schema = 'rerun' and table_name = 'empty_new' order by ordinal_position`,
    );
    assert.deepEqual(
      columns.map((c) => c.column_name),
      ['id', 'name'],
    );
  } finally {
    project.cleanup();
  }
});

test('append adds rows per run; upsert updates matching keys set-based and the last row of a repeated key wins', async () => {
  const project = createPgProject(pgServer);
  try {
    writeExportPipeline(project, {
      sql: 'select range as id from range(5)',
      config: { schema: 'merge', table: 'appended', mode: 'append' },
    });
    await runPipeline(project.dir);
    await runPipeline(project.dir);
    assert.deepEqual(await pgServer.query('select count(*)::int as n from merge.appended'), [{ n: 10 }]);

    const upsert = { schema: 'merge', table: 'upserted', mode: 'upsert', key: ['id'] };
    writeExportPipeline(project, { sql: "select * from (values (1, 'a'), (2, 'b')) t(id, v)", config: upsert });
    assert.equal((await runPipeline(project.dir)).result.status, 'succeeded');
    writeExportPipeline(project, { sql: "select * from (values (2, 'old'), (3, 'c'), (2, 'B')) t(id, v)", config: upsert });
    const second = await runPipeline(project.dir);
    assert.equal(second.result.status, 'succeeded', blockError(second.result, 'to_pg'));
    assert.deepEqual(await pgServer.query('select id, v from merge.upserted order by id'), [
      { id: 1, v: 'a' },
      { id: 2, v: 'B' },
      { id: 3, v: 'c' },
    ]);
  } finally {
    project.cleanup();
  }
});

test('mode fail refuses an existing table and leaves it untouched', async () => {
  const project = createPgProject(pgServer);
  try {
    writeExportPipeline(project, { sql: 'select 1 as id', config: { schema: 'failmode', table: 't', mode: 'fail' } });
    assert.equal((await runPipeline(project.dir)).result.status, 'succeeded');
    writeExportPipeline(project, { sql: 'select 2 as id', config: { schema: 'failmode', table: 't', mode: 'fail' } });
    const { result } = await runPipeline(project.dir);
    assert.equal(result.status, 'failed');
    assert.match(blockError(result, 'to_pg') ?? '', /failmode\.t already exists and mode is fail/);
    assert.deepEqual(await pgServer.query('select id from failmode.t'), [{ id: 1 }]);
  } finally {
    project.cleanup();
  }
});

test('schema drift fails with the added, removed and retyped columns, or adds new columns with add_columns', async () => {
  const project = createPgProject(pgServer);
  try {
    await pgServer.query('create schema drift; create table drift.t (id bigint, gone text, amount integer)');
    writeExportPipeline(project, {
      sql: "select 1::bigint as id, 2.5::double as amount, 'n' as added",
      config: { schema: 'drift', table: 't', mode: 'append' },
    });
    const { result } = await runPipeline(project.dir);
    assert.equal(result.status, 'failed');
    const message = blockError(result, 'to_pg') ?? '';
    assert.match(message, /added: added \(text\)/);
    assert.match(message, /removed: gone/);
    assert.match(message, /retyped: amount integer → double precision/);

    writeExportPipeline(project, {
      sql: "select 1::bigint as id, 'n' as added",
      config: { schema: 'drift', table: 't', mode: 'append', on_schema_change: 'add_columns' },
    });
    const second = await runPipeline(project.dir);
    assert.equal(second.result.status, 'succeeded', blockError(second.result, 'to_pg'));
    assert.deepEqual(await pgServer.query('select id::int, gone, added from drift.t'), [{ id: 1, gone: null, added: 'n' }]);
  } finally {
    project.cleanup();
  }
});

test('a value that does not fit the target column fails naming the column and the value, and nothing is appended', async () => {
  const project = createPgProject(pgServer);
  try {
    await pgServer.query('create schema fit; create table fit.t (id integer, code integer); insert into fit.t values (0, 0)');
    writeExportPipeline(project, {
      sql: "select * from (values (1, '7'), (2, 'seven')) v(id, code)",
      config: { schema: 'fit', table: 't', mode: 'append', on_schema_change: 'add_columns' },
    });
    const { result } = await runPipeline(project.dir);
    assert.equal(result.status, 'failed');
    assert.match(blockError(result, 'to_pg') ?? '', /column code .*"seven"/);
    assert.equal(result.blocks.find((b) => b.id === 'to_pg')?.error?.kind, 'user');
    assert.deepEqual(await pgServer.query('select count(*)::int as n from fit.t'), [{ n: 1 }]);
  } finally {
    project.cleanup();
  }
});

test('duplicate or over-long column names are refused before anything is written', async () => {
  const project = createPgProject(pgServer);
  try {
    const long = 'x'.repeat(64);
    writeExportPipeline(project, { sql: `select 1 as "${long}"`, config: { schema: 'names', table: 't' } });
    const { result } = await runPipeline(project.dir);
    assert.equal(result.status, 'failed');
    assert.match(blockError(result, 'to_pg') ?? '', /64 bytes long; Postgres allows 63/);
    assert.deepEqual(await pgServer.query(`select count(*)::int as n from pg_namespace where nspname = 'names'`), [{ n: 0 }]);
  } finally {
    project.cleanup();
  }
});
