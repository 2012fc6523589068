import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import type { RunEvent } from '../main/model/run-events.ts';
import {
  blockError,
  createPgProject,
  runPipeline,
  startTestPostgres,
  terminateCopyWhenSeen,
  waitForCopy,
  writeExportPipeline,
  type TestPostgres,
} from './helpers/postgres.ts';
import { waitUntil } from './helpers/wait-until.ts';

let pgServer: TestPostgres;
before(async () => {
  pgServer = await startTestPostgres();
});
after(async () => {
  await pgServer.stop();
});

/** Every type the binary encoder writes, at its extremes, with NULLs, infinities and text that CSV would quote. */
const EXTREMES_SQL = `select * from (values
  (1, (-128)::tinyint, 255::utinyint, (-32768)::smallint, 65535::usmallint, (-2147483648)::integer, 4294967295::uinteger,
   (-9223372036854775808)::bigint, 1.5::float, 0.1::double, true, date '1970-01-01', timestamp '1969-12-31 23:59:59.999999',
   timestamptz '2021-01-01 00:15:56.123456+02', 'ünïcødé ✓ 中文, longer than twelve bytes'),
  (2, 127::tinyint, 0::utinyint, 32767::smallint, 0::usmallint, 2147483647::integer, 0::uinteger,
   9223372036854775807::bigint, 'NaN'::float, 'NaN'::double, false, date '1999-12-31', timestamp '2000-01-01 00:00:00',
   timestamptz '1900-06-01 12:00:00+00', 'tab' || chr(9) || 'newline' || chr(10) || 'quote" backslash\\ comma,'),
  (3, null, null, null, null, null, null, null, '-Infinity'::float, 'Infinity'::double, null, 'infinity'::date, 'infinity'::timestamp,
   '-infinity'::timestamptz, ''),
  (4, 0::tinyint, 1::utinyint, 0::smallint, 1::usmallint, 0::integer, 1::uinteger, 0::bigint, null, '-Infinity'::double, true,
   '-infinity'::date, '-infinity'::timestamp, null, null),
  (5, 1::tinyint, 2::utinyint, 3::smallint, 4::usmallint, 5::integer, 6::uinteger, 7::bigint, -0.25::float, 1e-300::double, false,
   date '0001-01-01', timestamp '0001-01-01 00:00:00.000001', timestamptz '2262-04-11 23:47:16.854775+00', 'x')
) t(id, tiny, utiny, small, usmall, int, uint, big, f, d, flag, day, ts, tstz, s)`;

function logMessages(events: RunEvent[]): string[] {
  return events.flatMap((e) => (e.type === 'log.written' ? [e.message] : []));
}

test('the local Postgres runs with minimal WAL, no WAL senders and room for large loads between checkpoints', async () => {
  const settings = await pgServer.query<{ name: string; setting: string; unit: string | null }>(
    `select name, setting, unit from pg_settings where name in ('wal_level', 'max_wal_senders', 'max_wal_size') order by name`,
  );
  assert.deepEqual(settings, [
    { name: 'max_wal_senders', setting: '0', unit: null },
    { name: 'max_wal_size', setting: '2048', unit: 'MB' },
    { name: 'wal_level', setting: 'minimal', unit: null },
  ]);
});

test('replace loads every binary-encodable type over binary COPY with extremes, NULLs, infinities and text intact', async () => {
  const project = createPgProject(pgServer);
  try {
    writeExportPipeline(project, { sql: EXTREMES_SQL, config: { schema: 'bin', table: 'extremes' } });
    const { result, events } = await runPipeline(project.dir);
    assert.equal(result.status, 'succeeded', blockError(result, 'src') ?? blockError(result, 'to_pg'));
    assert.ok(logMessages(events).includes('COPY in binary format'), logMessages(events).join('\n'));

    const types = await pgServer.query<{ name: string; type: string }>(
      `select attname as name, format_type(atttypid, atttypmod) as type from pg_attribute where attrelid = 'bin.extremes'::regclass and attnum > 0 order by attnum`,
    );
    assert.deepEqual(
      types.map((t) => t.type),
      [
        'integer',
        'smallint',
        'smallint',
        'smallint',
        'integer',
        'integer',
        'bigint',
        'bigint',
        'real',
        'double precision',
        'boolean',
        'date',
        'timestamp without time zone',
        'timestamp with time zone',
        'text',
      ],
    );
    const rows = await pgServer.query<Record<string, string | null>>(
      `select id::text, tiny::text, utiny::text, small::text, usmall::text, int::text, uint::text, big::text, f::text, d::text, flag::text,
              day::text, ts::text, (tstz at time zone 'UTC')::text as tstz, s
         from bin.extremes order by id`,
    );
    assert.deepEqual(rows[0], {
      id: '1',
      tiny: '-128',
      utiny: '255',
      small: '-32768',
      usmall: '65535',
      int: '-2147483648',
      uint: '4294967295',
      big: '-9223372036854775808',
      f: '1.5',
      d: '0.1',
      flag: 'true',
      day: '1970-01-01',
      ts: '1969-12-31 23:59:59.999999',
      tstz: '2020-12-31 22:15:56.123456',
      s: 'ünïcødé ✓ 中文, longer than twelve bytes',
    });
    assert.deepEqual(rows[1], {
      id: '2',
      tiny: '127',
      utiny: '0',
      small: '32767',
      usmall: '0',
      int: '2147483647',
      uint: '0',
      big: '9223372036854775807',
      f: 'NaN',
      d: 'NaN',
      flag: 'false',
      day: '1999-12-31',
      ts: '2000-01-01 00:00:00',
      tstz: '1900-06-01 12:00:00',
      s: 'tab\tnewline\nquote" backslash\\ comma,',
    });
    assert.deepEqual(rows[2], {
      id: '3',
      tiny: null,
      utiny: null,
      small: null,
      usmall: null,
      int: null,
      uint: null,
      big: null,
      f: '-Infinity',
      d: 'Infinity',
      flag: null,
      day: 'infinity',
      ts: 'infinity',
      tstz: '-infinity',
      s: '',
    });
    assert.equal(rows[3]?.day, '-infinity');
    assert.equal(rows[3]?.ts, '-infinity');
    assert.equal(rows[3]?.f, null);
    assert.equal(rows[3]?.s, null, 'NULL text stays NULL, not an empty string');
    assert.deepEqual(
      [rows[4]?.f, rows[4]?.d, rows[4]?.day, rows[4]?.ts, rows[4]?.tstz],
      ['-0.25', '1e-300', '0001-01-01', '0001-01-01 00:00:00.000001', '2262-04-11 23:47:16.854775'],
    );
  } finally {
    project.cleanup();
  }
});

test('a timestamp outside Postgres range fails naming the column, and the replaced table is untouched', async () => {
  const project = createPgProject(pgServer);
  try {
    writeExportPipeline(project, {
      sql: "select range as id, timestamp '2021-01-01' as ts from range(3)",
      config: { schema: 'bin', table: 'range_check' },
    });
    assert.equal((await runPipeline(project.dir)).result.status, 'succeeded');
    // Year -5952, before Postgres's 4713 BC; and DuckDB's own minimum, whose shift to Postgres's epoch would underflow.
    for (const micros of ['-250000000000000000', '-9223372022400000000']) {
      writeExportPipeline(project, {
        sql: `select 1 as id, make_timestamp(${micros}) as ts`,
        config: { schema: 'bin', table: 'range_check' },
      });
      const { result } = await runPipeline(project.dir);
      assert.equal(result.status, 'failed');
      assert.match(blockError(result, 'to_pg') ?? '', /column ts .*timestamp out of range/);
      assert.deepEqual(await pgServer.query('select count(*)::int as n from bin.range_check'), [{ n: 3 }]);
    }
  } finally {
    project.cleanup();
  }
});

test('a connection killed mid binary COPY leaves the replaced table intact, and a re-run loads every row', async () => {
  const project = createPgProject(pgServer);
  try {
    writeExportPipeline(project, { sql: 'select range as id from range(3)', config: { schema: 'bin', table: 'killed' } });
    assert.equal((await runPipeline(project.dir)).result.status, 'succeeded');

    const big = "select range as id, 'row number ' || range as label, range * 0.5::double as half from range(1500000)";
    writeExportPipeline(project, { sql: big, config: { schema: 'bin', table: 'killed' } });
    const [{ result, events }] = await Promise.all([runPipeline(project.dir), terminateCopyWhenSeen(pgServer)]);
    assert.ok(logMessages(events).includes('COPY in binary format'));
    assert.equal(result.status, 'failed');
    assert.match(blockError(result, 'to_pg') ?? '', /lost the connection/);
    assert.deepEqual(await pgServer.query('select count(*)::int as n from bin.killed'), [{ n: 3 }]);
    assert.deepEqual(
      await pgServer.query(`select relname from pg_class where relname like '_pw_stage_%'`),
      [],
      'no staging table is left behind',
    );

    const again = await runPipeline(project.dir);
    assert.equal(again.result.status, 'succeeded', blockError(again.result, 'to_pg'));
    assert.deepEqual(await pgServer.query(`select count(*)::int as n, sum(half)::float8 as half, max(label) as label from bin.killed`), [
      { n: 1_500_000, half: 562_499_625_000, label: 'row number 999999' },
    ]);
  } finally {
    project.cleanup();
  }
});

test('cancelling a run mid binary COPY stops promptly, keeps the replaced table and leaves no COPY running', async () => {
  const project = createPgProject(pgServer);
  try {
    writeExportPipeline(project, { sql: 'select range as id from range(2)', config: { schema: 'bin', table: 'cancelled' } });
    assert.equal((await runPipeline(project.dir)).result.status, 'succeeded');
    writeExportPipeline(project, {
      sql: 'select range as id, range * 0.5::double as half from range(3000000)',
      config: { schema: 'bin', table: 'cancelled' },
    });
    const controller = new AbortController();
    const running = runPipeline(project.dir, { signal: controller.signal });
    await waitForCopy(pgServer);
    const cancelledAt = Date.now();
    controller.abort();
    const { result } = await running;
    assert.equal(result.status, 'cancelled');
    assert.ok(Date.now() - cancelledAt < 20_000, 'the run ends soon after the cancel');
    assert.deepEqual(await pgServer.query('select count(*)::int as n from bin.cancelled'), [{ n: 2 }]);
    const copiesLeft = async () =>
      (
        await pgServer.query(
          `select pid from pg_stat_activity where application_name = 'pipewright' and query ilike 'COPY %' and state = 'active'`,
        )
      ).length;
    await waitUntil(async () => (await copiesLeft()) === 0, { what: 'no COPY left running', intervalMs: 50 });
  } finally {
    project.cleanup();
  }
});

test('a database that is not UTF-8, a type without a binary form, and an append into other column types all load as CSV', async () => {
  await pgServer
    .query(`create database latin1_db encoding 'LATIN1' template template0 lc_collate 'C' lc_ctype 'C'`)
    .catch((error: { code?: string }) => {
      if (error.code !== '42P04') throw error; // left by an earlier run of this file against the same server
    });
  const project = createPgProject(pgServer);
  try {
    writeExportPipeline(project, { sql: "select 'é' as s", config: { schema: 'bin', table: 'latin' } });
    const latin = await runPipeline(project.dir, { overrides: { pg: { database: 'latin1_db' } } });
    assert.equal(latin.result.status, 'succeeded', blockError(latin.result, 'to_pg'));
    assert.ok(logMessages(latin.events).includes('COPY as CSV: the database is not UTF-8'));
    const { host, port, user, password } = pgServer.conn;
    const client = new pg.Client({ host, port, user, password, database: 'latin1_db' });
    await client.connect();
    try {
      const stored = await client.query(`select s, octet_length(s) as bytes from bin.latin`);
      assert.deepEqual(stored.rows, [{ s: 'é', bytes: 1 }], 'Postgres converted the UTF-8 text to one LATIN1 byte');
    } finally {
      await client.end();
    }

    writeExportPipeline(project, { sql: 'select 1.25::decimal(5,2) as amount', config: { schema: 'bin', table: 'decimal' } });
    const decimal = await runPipeline(project.dir);
    assert.ok(logMessages(decimal.events).includes('COPY as CSV: column amount (DECIMAL(5,2)) has no binary form here'));
    assert.deepEqual(await pgServer.query('select amount::text from bin.decimal'), [{ amount: '1.25' }]);

    // An append into a table whose column has another type than the output's: binary fields would not fit.
    await pgServer.query('create table bin.appended (id bigint)');
    writeExportPipeline(project, {
      sql: 'select 1::integer as id',
      config: { schema: 'bin', table: 'appended', mode: 'append', on_schema_change: 'add_columns' },
    });
    const appended = await runPipeline(project.dir);
    assert.equal(appended.result.status, 'succeeded', blockError(appended.result, 'to_pg'));
    assert.ok(
      logMessages(appended.events).includes('COPY as CSV: column id is bigint in the table, integer in the output'),
      logMessages(appended.events).join('\n'),
    );
    assert.deepEqual(await pgServer.query('select id::text from bin.appended'), [{ id: '1' }]);
  } finally {
    project.cleanup();
  }
});

test('append loads every binary-encodable type over binary COPY, twice into the same table, exactly as replace does', async () => {
  const project = createPgProject(pgServer);
  try {
    writeExportPipeline(project, { sql: EXTREMES_SQL, config: { schema: 'bin', table: 'extremes_replaced' } });
    assert.equal((await runPipeline(project.dir)).result.status, 'succeeded');
    writeExportPipeline(project, { sql: EXTREMES_SQL, config: { schema: 'bin', table: 'extremes_appended', mode: 'append' } });
    for (let i = 0; i < 2; i++) {
      const { result, events } = await runPipeline(project.dir);
      assert.equal(result.status, 'succeeded', blockError(result, 'to_pg'));
      assert.ok(logMessages(events).includes('COPY in binary format'), logMessages(events).join('\n'));
    }
    const typesOf = (table: string) =>
      pgServer.query(
        `select attname, format_type(atttypid, atttypmod) as type from pg_attribute where attrelid = 'bin.${table}'::regclass and attnum > 0 order by attnum`,
      );
    assert.deepEqual(await typesOf('extremes_appended'), await typesOf('extremes_replaced'));
    const diff = await pgServer.query<{ n: number }>(
      `select count(*)::int as n from (select * from bin.extremes_appended except all (select * from bin.extremes_replaced union all select * from bin.extremes_replaced)) d`,
    );
    const counts = await pgServer.query(
      `select (select count(*)::int from bin.extremes_appended) as appended, (select count(*)::int from bin.extremes_replaced) as replaced`,
    );
    assert.deepEqual(diff, [{ n: 0 }], 'every appended row equals a replaced one');
    const [{ appended, replaced }] = counts as [{ appended: number; replaced: number }];
    assert.equal(appended, 2 * replaced);
  } finally {
    project.cleanup();
  }
});
