import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { openProject } from '../main/runtime/open-project.ts';
import { blockError, createPgProject, runPipeline, startTestPostgres, type TestPostgres } from './helpers/postgres.ts';

let pgServer: TestPostgres;
before(async () => {
  pgServer = await startTestPostgres();
  await pgServer.query(`create schema src; create table src."Odd ""t""" (
    "Order" integer, "two words" text, f double precision, n numeric(10,2), ts timestamp, tstz timestamptz, b bytea, ok boolean, d date, j jsonb, big bigint)`);
  await pgServer.query(`insert into src."Odd ""t""" values
    (1, 'ünï ✓, "q"', 'NaN', 12.34, '2021-01-01 00:15:56', '2021-01-01 00:15:56+02', '\\x01ff', true, '2021-01-31', '{"k": [1]}', 9007199254740993),
    (2, '', 'Infinity', null, null, null, null, false, null, null, null),
    (3, null, '-Infinity', -0.5, '1999-12-31 23:59:59.123456', '2000-01-01 00:00:00+00', '\\x', null, null, null, -1)`);
});
after(async () => {
  await pgServer.stop();
});

async function readOutput(dir: string, sql: string): Promise<Record<string, unknown>[]> {
  const open = await openProject(dir);
  try {
    const session = await open.workspace.openBlockSession({
      pipelineId: 'p',
      blockId: 'q',
      runId: 'read',
      attempt: 1,
      runOutputs: new Map(),
      readable: ['from_pg'],
    });
    try {
      return await session.queryRows(sql);
    } finally {
      await session.close();
    }
  } finally {
    await open.close();
  }
}

test('a postgres source streams a query into DuckDB with types mapped back, NULLs, NaN/Infinity, zones and unicode kept', async () => {
  const project = createPgProject(pgServer);
  try {
    project.writePipeline('p', {
      blocks: [{ id: 'from_pg', type: 'source', kind: 'postgres', config: { query: 'select * from src."Odd ""t""" order by "Order"' } }],
    });
    const { result } = await runPipeline(project.dir);
    assert.equal(result.status, 'succeeded', blockError(result, 'from_pg'));
    assert.equal(result.blocks[0]?.rows, 3);
    const types = await readOutput(project.dir, 'select column_name, column_type from (describe select * from from_pg)');
    assert.deepEqual(Object.fromEntries(types.map((t) => [t.column_name, t.column_type])), {
      Order: 'INTEGER',
      'two words': 'VARCHAR',
      f: 'DOUBLE',
      n: 'DECIMAL(10,2)',
      ts: 'TIMESTAMP',
      tstz: 'TIMESTAMP WITH TIME ZONE',
      b: 'BLOB',
      ok: 'BOOLEAN',
      d: 'DATE',
      j: 'JSON',
      big: 'BIGINT',
    });
    const rows = await readOutput(
      project.dir,
      `select "Order", "two words" as w, f::varchar as f, n::varchar as n, ts::varchar as ts, epoch(tstz)::bigint as e,
      hex(b) as b, ok, d::varchar as d, j::varchar as j, big::varchar as big from from_pg order by "Order"`,
    );
    assert.deepEqual(rows[0], {
      Order: 1,
      w: 'ünï ✓, "q"',
      f: 'nan',
      n: '12.34',
      ts: '2021-01-01 00:15:56',
      e: 1609452956n,
      b: '01FF',
      ok: true,
      d: '2021-01-31',
      j: '{"k": [1]}',
      big: '9007199254740993',
    });
    assert.equal(rows[1]?.w, '', 'an empty string stays an empty string');
    assert.equal(rows[1]?.f, 'inf');
    assert.equal(rows[1]?.n, null);
    assert.equal(rows[2]?.w, null);
    assert.equal(rows[2]?.ts, '1999-12-31 23:59:59.123456');
    assert.equal(rows[2]?.b, '');
  } finally {
    project.cleanup();
  }
});

test('a postgres source of zero rows writes an empty, typed output', async () => {
  const project = createPgProject(pgServer);
  try {
    project.writePipeline('p', {
      blocks: [{ id: 'from_pg', type: 'source', kind: 'postgres', config: { query: 'select 1::int as id, now() as at where false' } }],
    });
    const { result } = await runPipeline(project.dir);
    assert.equal(result.status, 'succeeded', blockError(result, 'from_pg'));
    const types = await readOutput(project.dir, 'select column_name, column_type from (describe select * from from_pg)');
    assert.deepEqual(
      types.map((t) => t.column_type),
      ['INTEGER', 'TIMESTAMP WITH TIME ZONE'],
    );
  } finally {
    project.cleanup();
  }
});
