import type { Expected, HostileCase } from './case.ts';
import type { ProjectRuns } from './project-runs.ts';

const src = { id: 'src', type: 'source', kind: 'test_rows', config: { rows: 3 } };
const user = (message: RegExp, line?: number): Expected => ({ kind: 'user', message, block: 'q', ...(line !== undefined ? { line } : {}) });
const ONE = /must be one statement/;
const OFF = /outside the project folder|full path of a file inside the project|no network or cloud access|cannot read or write/;

/** [name, SQL of block q (reads src), expected]. `OUT` stands for a path outside the project. */
const SQL: [string, string, Expected][] = [
  ['sql: a COPY TO after the query', "select * from src;\nCOPY (select 42) TO 'OUT/copied.csv'", user(ONE, 2)],
  ['sql: an ATTACH after the query', "select * from src; ATTACH 'OUT/x.db' AS x", user(ONE, 1)],
  ['sql: a SET after the query', 'select * from src;\n\n  SET threads = 64', user(ONE, 3)],
  ['sql: an INSTALL after the query', 'select * from src; INSTALL httpfs', user(ONE)],
  ['sql: a LOAD after the query', 'select * from src; LOAD json', user(ONE)],
  ['sql: a PRAGMA after the query', 'select * from src; PRAGMA threads = 64', user(ONE)],
  ['sql: an unknown PRAGMA after the query', 'select * from src; PRAGMA enable_external_access', user(/Pragma Function/)],
  ['sql: a second select after a comment', 'select * from src; -- one\nselect 2', user(ONE, 2)],
  ['sql: a semicolon inside a string', "select ';' as semi, * from src", { ok: true, rows: 3 }],
  ['sql: a crafted closing parenthesis', "select * from src) t; COPY (select 1) TO 'OUT/p.csv'; select * from (select 1", user(/./)],
  ['sql: read /etc/passwd', "select * from read_csv('/etc/passwd')", user(OFF)],
  ['sql: read_text of ../ out of the project', "select * from read_text('PROJECT/../../../etc/hostname')", user(OFF)],
  ['sql: glob of /', "select * from glob('/*')", user(OFF)],
  ['sql: a relative path', "select * from read_csv('data/x.csv')", user(OFF)],
  ['sql: COPY through query()', "select * from query('COPY (select 1) TO ''OUT/q.csv''')", user(/./)],
  ['sql: an http URL', "select * from read_csv('http://127.0.0.1:9/x.csv')", user(OFF)],
  ['sql: a syntax error at line 3', 'select *\nfrom src\nwhere where', user(/syntax error/i, 3)],
  ['sql: an empty file', '   \n', user(/empty/)],
  ['sql: only a comment', '-- nothing\n', user(/./)],
  [
    'sql: a 1 MB one-line query',
    `select * from src where i in (${Array.from({ length: 120_000 }, (_, i) => i).join(',')})`,
    { ok: true, rows: 3 },
  ],
  ['sql: unicode identifiers', 'select i as "ünïcødé ✓", label as "列" from src', { ok: true, rows: 3 }],
  ['sql: a NUL byte in the file', 'select * from src where 1 = 0\0 or true', user(/NUL character \(line 1\)/, 1)],
  ['sql: a CALL statement', 'CALL pragma_version()', user(/./)],
  ['sql: integer division by zero is NULL', 'select 1 // 0 as boom from src', { ok: true, rows: 3 }],
  [
    'sql: a recursive CTE with a limit',
    'with recursive n(x) as (select 1 union all select x + 1 from n) select x from n limit 5',
    { ok: true, rows: 5 },
  ],
  ['sql: a UTF-8 BOM before the query (Windows editors)', '\uFEFFselect * from src', { ok: true, rows: 3 }],
  ['sql: CRLF line endings and an error at line 2', 'select *\r\nfrom nowhere_at_all', user(/nowhere_at_all/, 2)],
  ['sql: Latin-1 letters in a string literal', "select 'ÿþé' as s from src", { ok: true, rows: 3 }],
  ['sql: duckdb_settings is readable', "select name from duckdb_settings() where name = 'enable_external_access'", { ok: true, rows: 1 }],
];

/** Hostile SQL in a SQL block, each in its own pipeline of `runs`; `outside` is a folder outside the project. */
export function sqlCases(runs: ProjectRuns, outside: string): HostileCase[] {
  // A pipeline id DuckDB reserves for its own schemas: named at run time, not a crash of the workspace.
  runs.add('temp', [src]);
  const reserved: HostileCase = {
    group: 'sql',
    name: 'pipeline id: temp (a DuckDB schema)',
    expect: { kind: 'user', message: /reserved in the DuckDB workspace/ },
    run: (signal) => runs.outcome('temp', 'src', signal),
  };
  return [
    reserved,
    ...SQL.map(([name, sql, expect], i): HostileCase => {
      const id = `s${i}`;
      const text = sql.replaceAll('OUT', outside).replaceAll('PROJECT', runs.dir);
      runs.add(id, [src, { id: 'q', type: 'transform', kind: 'sql', file: `blocks/${id}.sql`, upstream: ['src'] }], {
        [`blocks/${id}.sql`]: text,
      });
      return { group: 'sql', name, expect, run: (signal) => runs.outcome(id, 'q', signal) };
    }),
  ];
}
