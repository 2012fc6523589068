import type { DuckDBConnection } from '@duckdb/node-api';
import { UserError, type ErrorPlace } from '../model/errors.ts';

/** How many `;` a search for the second statement's start tries before giving up on naming its line. */
const MAX_SPLIT_CANDIDATES = 200;

/**
 * Refuses `executedSql` when DuckDB's own parser finds more than one statement in it (`select 1; COPY … TO …`), so
 * a block or the console never runs a second statement smuggled behind a query or a crafted parenthesis. The
 * UserError names the line (within `sqlText`, which starts at `sqlOffset` of `executedSql`) where the second
 * statement starts. Text that does not parse passes: running it gives the parser's own error, with its position.
 */
export async function checkOneStatement(
  conn: DuckDBConnection,
  executedSql: string,
  sqlText: string,
  sqlOffset: number,
  place: ErrorPlace,
  what: string,
): Promise<void> {
  const nul = sqlText.indexOf('\0');
  if (nul !== -1) {
    // DuckDB reads SQL as a C string: it would silently drop everything after the NUL.
    throw new UserError(`${what} contains a NUL character (line ${lineOf(sqlText, nul)}); DuckDB would ignore the rest: remove it`, {
      ...place,
      line: lineOf(sqlText, nul),
    });
  }
  const count = await countStatements(conn, executedSql);
  if (count === undefined || count <= 1) return;
  const start = await secondStatementStart(conn, executedSql);
  const userIndex = start === undefined ? undefined : start - sqlOffset;
  const where: ErrorPlace = { ...place };
  let at = '';
  if (userIndex !== undefined && userIndex >= 0 && userIndex <= sqlText.length) {
    where.line = lineOf(sqlText, userIndex);
    const shown = sqlText.slice(userIndex).split(/\r?\n/)[0]?.slice(0, 40) ?? '';
    at = ` (line ${where.line}: ${shown})`;
  }
  throw new UserError(`${what} must be one statement; DuckDB found ${count}, a second one starts after a ";"${at}: remove it`, where);
}

/** The statements DuckDB's parser sees in `sql`, or undefined when it does not parse. */
async function countStatements(conn: DuckDBConnection, sql: string): Promise<number | undefined> {
  try {
    return (await conn.extractStatements(sql)).count;
  } catch {
    // Not parseable: the caller runs it and reports DuckDB's parser error, which carries the position.
    return undefined;
  }
}

/**
 * Where the second statement starts: after the first `;` such that the text up to it is exactly one statement and
 * the rest holds at least one more (DuckDB decides both, so quotes and comments are its business, not a regex's).
 */
async function secondStatementStart(conn: DuckDBConnection, sql: string): Promise<number | undefined> {
  let tried = 0;
  for (let i = sql.indexOf(';'); i !== -1 && tried < MAX_SPLIT_CANDIDATES; i = sql.indexOf(';', i + 1), tried++) {
    if ((await countStatements(conn, sql.slice(0, i + 1))) !== 1) continue;
    if (((await countStatements(conn, sql.slice(i + 1))) ?? 0) < 1) continue;
    return skipBlank(sql, i + 1);
  }
  return undefined;
}

/** The index of the first character after `from` that is not blank or inside a `--` comment. */
function skipBlank(sql: string, from: number): number {
  let i = from;
  for (;;) {
    while (i < sql.length && /\s|;/.test(sql[i] ?? '')) i++;
    if (!sql.startsWith('--', i)) return i;
    const end = sql.indexOf('\n', i);
    if (end === -1) return sql.length;
    i = end + 1;
  }
}

function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) {
    if (text[i] === '\n' || (text[i] === '\r' && text[i + 1] !== '\n')) line++;
  }
  return line;
}
