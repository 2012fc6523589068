import type { DuckDBConnection } from '@duckdb/node-api';
import { tableToIPC } from 'apache-arrow';
import { UserError, type ErrorPlace } from '../model/errors.ts';
import type { ColumnInfo, FileViewInfo, PreviewResult, PreviewWindow } from '../model/workspace-types.ts';
import { quoteIdent } from './sql-names.ts';
import { toSqlUserError } from './sql-errors.ts';
import { checkOneStatement } from './one-statement.ts';
import { resultToArrow } from './arrow-convert.ts';

/** The most rows one window may hold: the grid asks for more as the user scrolls. */
export const MAX_WINDOW_ROWS = 100_000;

/**
 * What a preview reads, as SQL text around at most one piece of the user's SQL (a filter, or an ad-hoc query):
 * `FROM <head><user><tail>`. The head must be one line, so error positions map back into the user's text.
 */
interface Source {
  head: string;
  user?: string;
  tail: string;
  place: ErrorPlace;
  /** Appended to every sort so windows page deterministically (`rowid` for tables, `ALL` for every column). */
  tieBreaker?: string;
}

/**
 * A window of a stored output table: filter (WHERE) and sort pushed down to DuckDB, never the whole table in JS.
 * `tieBreaker` ends every sort (`rowid`; '' for a subquery, which has none); a file view (no rowid) uses every column.
 */
export async function previewTable(
  conn: DuckDBConnection,
  table: string,
  window: PreviewWindow,
  tieBreaker = 'rowid',
  fileView?: FileViewInfo,
): Promise<PreviewResult> {
  const filter = window.filter?.trim() ? window.filter : undefined;
  if (filter?.includes(';')) throw new UserError('the filter must be one boolean expression, without ";"', { path: 'filter' });
  // A file view has no rowid: every column breaks ties instead (rows equal in all of them page the same either way).
  const tie = fileView ? 'ALL' : tieBreaker;
  const source: Source = filter
    ? { head: `${table} WHERE (`, user: filter, tail: '\n)', place: { path: 'filter' }, ...(tie ? { tieBreaker: tie } : {}) }
    : { head: table, tail: '', place: {}, ...(tie ? { tieBreaker: tie } : {}) };
  // Counting a file view's rows would parse its files: they were counted when it was written.
  return previewSource(conn, source, window, filter ? undefined : fileView?.rows);
}

/** A window of an ad-hoc query's result (one SELECT-like statement); errors point into the query text. */
export async function previewQuery(conn: DuckDBConnection, sql: string, window: { offset: number; limit: number }): Promise<PreviewResult> {
  const text = sql.replace(/(;|\s)+$/, '');
  if (text.trim() === '')
    throw new UserError('the query is empty: write a SELECT over the workspace, e.g. select * from my_pipeline.my_block');
  // The closing parenthesis goes on its own line so a trailing `-- comment` cannot swallow it.
  return previewSource(conn, { head: '(', user: text, tail: '\n)', place: {} }, window);
}

async function previewSource(conn: DuckDBConnection, source: Source, window: PreviewWindow, knownRows?: number): Promise<PreviewResult> {
  checkWindow(window);
  const columns = await describeSource(conn, source);
  const order = orderClause(window.orderBy ?? [], columns, source.tieBreaker);
  const totalRows =
    knownRows ?? Number((await runOn(conn, source, 'SELECT count(*) FROM ', '', (sql) => conn.runAndReadAll(sql))).getRows()[0]?.[0] ?? 0);
  const page = `${order} LIMIT ${window.limit} OFFSET ${window.offset}`;
  const result = await runOn(conn, source, 'SELECT * FROM ', page, (sql) => conn.run(sql));
  const table = await resultToArrow(result);
  return { columns, totalRows, offset: window.offset, ipc: tableToIPC(table, 'stream') };
}

/** Column names and DuckDB types, from binding the query only (nothing is scanned). */
async function describeSource(conn: DuckDBConnection, source: Source): Promise<ColumnInfo[]> {
  const described = await runOn(conn, source, 'DESCRIBE SELECT * FROM ', '', (sql) => conn.runAndReadAll(sql));
  return described.getRowObjectsJS().map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
}

/** Runs `<before>FROM-part<after>`; errors in the user's part become UserErrors at its line and column. */
async function runOn<T>(
  conn: DuckDBConnection,
  source: Source,
  before: string,
  after: string,
  run: (sql: string) => Promise<T>,
): Promise<T> {
  const sql = before + source.head + (source.user ?? '') + source.tail + after;
  // A crafted parenthesis can close the wrapper and start a second statement: DuckDB's parser must see one.
  if (source.user !== undefined)
    await checkOneStatement(conn, sql, source.user, before.length + source.head.length, source.place, 'the query');
  try {
    return await run(sql);
  } catch (error) {
    if (source.user === undefined) throw error;
    throw await toSqlUserError(conn, error, sql, source.user, before.length + source.head.length, source.place);
  }
}

function checkWindow(window: { offset: number; limit: number }): void {
  if (!Number.isSafeInteger(window.offset) || window.offset < 0) {
    throw new UserError(`the window offset must be a whole number ≥ 0, not ${window.offset}`, { path: 'window.offset' });
  }
  if (!Number.isSafeInteger(window.limit) || window.limit < 1 || window.limit > MAX_WINDOW_ROWS) {
    throw new UserError(`the window limit must be a whole number from 1 to ${MAX_WINDOW_ROWS}, not ${window.limit}`, {
      path: 'window.limit',
    });
  }
}

function orderClause(orderBy: NonNullable<PreviewWindow['orderBy']>, columns: ColumnInfo[], tieBreaker: string | undefined): string {
  if (orderBy.length === 0) return '';
  const terms = orderBy.map((o, i) => {
    if (!columns.some((c) => c.name === o.column)) {
      const names = columns.map((c) => c.name).join(', ');
      throw new UserError(`cannot sort by ${o.column}: there is no such column (columns: ${names})`, { path: `orderBy[${i}].column` });
    }
    return `${quoteIdent(o.column)} ${o.descending ? 'DESC' : 'ASC'} NULLS LAST`;
  });
  // A table's own column called rowid hides DuckDB's pseudo-column; sorting by it is still deterministic.
  if (tieBreaker === 'ALL') terms.push(...columns.map((c) => quoteIdent(c.name)));
  else if (tieBreaker) terms.push(tieBreaker);
  return ` ORDER BY ${terms.join(', ')}`;
}
