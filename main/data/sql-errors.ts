import type { DuckDBConnection } from '@duckdb/node-api';
import { UserError, type ErrorPlace } from '../model/errors.ts';
import { quoteLiteral } from './sql-names.ts';

/**
 * DuckDB error classes caused by the SQL text or by the data it reads: the user must act, a retry cannot help.
 * I/O, out-of-memory, interrupt, transaction-conflict and internal errors are not here: they stay as they are.
 */
const USER_ERROR_CLASSES = new Set([
  'Parser',
  'Syntax',
  'Binder',
  'Catalog',
  'Conversion',
  'Out of Range',
  'Mismatch Type',
  'Divide by Zero',
  'Not implemented',
  'Invalid Input',
  'Constraint',
  'Invalid type',
  'Decimal',
  'Parameter Not Resolved',
  'Parameter Not Allowed',
  'Dependency',
]);

/** The caret form DuckDB appends to errors about a statement: `LINE 3: <text>\n<spaces>^`. */
const CONTEXT_PATTERN = /\n\nLINE (\d+): ([^\n]*)\n( *)\^\s*$/;
const TRUNCATION = '...';
/** How much of a long line to show on each side of the error, as DuckDB does. */
const CONTEXT_HALF_WIDTH = 40;

/** The DuckDB error class of `err` (`Binder`, `Parser`, `IO`…), when it is a DuckDB error. */
export function sqlErrorClass(err: unknown): string | undefined {
  if (!(err instanceof Error)) return undefined;
  return /^([A-Za-z ]+?) Error: /.exec(err.message)?.[1];
}

/** Whether `err` is a DuckDB error about SQL text or data (parser, binder, catalog, conversion…). */
export function isSqlError(err: unknown): boolean {
  const cls = sqlErrorClass(err);
  return cls !== undefined && USER_ERROR_CLASSES.has(cls);
}

/**
 * Turns a DuckDB error about a statement into a message and a 1-based line/column inside the user's SQL.
 * `sqlText` was embedded at character `sqlOffset` of the executed statement; the text before it must be one line
 * (no newline), so that DuckDB's line numbers past the first are the user's. `executedIndex` is the exact error
 * position in the executed statement when known (parser errors, see `locateParserError`); otherwise the
 * `LINE n:` caret form of the message is read. The message keeps DuckDB's text with a context line that shows
 * the user's SQL, not the wrapper.
 */
export function describeSqlError(
  err: unknown,
  sqlText: string,
  sqlOffset: number,
  executedIndex?: number,
): { message: string; line?: number; column?: number } {
  const raw = err instanceof Error ? err.message : String(err);
  const context = CONTEXT_PATTERN.exec(raw);
  const head = context ? raw.slice(0, context.index) : raw;
  const index = executedIndex !== undefined ? executedIndex - sqlOffset : context ? indexFromCaret(context, sqlText, sqlOffset) : undefined;
  if (index === undefined || index < 0 || index > sqlText.length) return { message: head };
  const { line, column, lineText } = lineAndColumn(sqlText, index);
  return { message: `${head}\n\n${caretContext(line, lineText, column - 1)}`, line, column };
}

/**
 * The exact position of a parser error in `executedSql` (a UTF-16 index), from DuckDB's `json_serialize_sql`,
 * or undefined when the statement parses or the position is unknown.
 */
export async function locateParserError(conn: DuckDBConnection, executedSql: string): Promise<number | undefined> {
  try {
    const reader = await conn.runAndReadAll(`SELECT json_serialize_sql(${quoteLiteral(executedSql)})`);
    const parsed = JSON.parse(String(reader.getRows()[0]?.[0])) as { error?: boolean; error_type?: string; position?: string };
    if (!parsed.error || parsed.error_type !== 'parser' || parsed.position === undefined) return undefined;
    return utf16Index(executedSql, Number(parsed.position));
  } catch {
    // Locating is best effort: the caller still reports the original error, only without a position.
    return undefined;
  }
}

/**
 * A DuckDB error about SQL becomes a UserError whose place has the line and column inside `sqlText`; any other
 * error is returned unchanged. `executedSql` is the statement actually run (`sqlText` at `sqlOffset` within it).
 */
export async function toSqlUserError(
  conn: DuckDBConnection,
  err: unknown,
  executedSql: string,
  sqlText: string,
  sqlOffset: number,
  place: ErrorPlace = {},
): Promise<unknown> {
  const outside = outsideProjectError(err, place);
  if (outside) return outside;
  if (!isSqlError(err)) return err;
  const executedIndex = sqlErrorClass(err) === 'Parser' ? await locateParserError(conn, executedSql) : undefined;
  const described = describeSqlError(err, sqlText, sqlOffset, executedIndex);
  const where: ErrorPlace = { ...place };
  if (described.line !== undefined) where.line = described.line;
  if (described.column !== undefined) where.column = described.column;
  return new UserError(described.message, where, { cause: err });
}

/**
 * DuckDB refusing a file because file access is limited to the project (see Workspace's allowedDirectories): a
 * UserError naming the file and how to allow it. INSTALL (the extensions folder) lands here too.
 */
export function outsideProjectError(err: unknown, place: ErrorPlace = {}): UserError | undefined {
  if (sqlErrorClass(err) !== 'Permission') return undefined;
  const message = err instanceof Error ? err.message : String(err);
  const file = /Cannot access (?:file|directory) "([^"]*)"/.exec(message)?.[1];
  if (file === undefined) return undefined;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(file)) {
    return new UserError(
      `SQL cannot read ${file}: SQL has no network or cloud access; read it with an http_file or gcs source block`,
      { ...place, file },
      { cause: err },
    );
  }
  if (!file.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(file)) {
    // DuckDB resolves relative paths against the process's working folder, which need not be the project.
    return new UserError(
      `SQL cannot read or write ${file}: write the full path of a file inside the project folder (relative paths are not resolved against it)`,
      { ...place, file },
      { cause: err },
    );
  }
  return new UserError(
    `SQL cannot read or write ${file}: files outside the project folder are off limits unless pipewright.yaml lists their folder under allowed_paths`,
    { ...place, file },
    { cause: err },
  );
}

/** The UTF-16 index of the error inside `sqlText`, read from DuckDB's `LINE n:` caret form. */
function indexFromCaret(context: RegExpExecArray, sqlText: string, sqlOffset: number): number | undefined {
  const lineNumber = Number(context[1]);
  const shown = context[2] ?? '';
  const caretWidth = (context[3] ?? '').length - `LINE ${lineNumber}: `.length;
  const starts = lineStarts(sqlText);
  const userStart = starts[lineNumber - 1];
  if (userStart === undefined) return undefined;
  const rest = sqlText.slice(userStart).search(/\r|\n/);
  const userEnd = rest === -1 ? sqlText.length : userStart + rest;
  // Line 1 of the executed statement begins with the wrapper's text: stand-in characters that match anything.
  const wildcards = lineNumber === 1 ? sqlOffset : 0;
  const executedLine = '\0'.repeat(wildcards) + sqlText.slice(userStart, userEnd);
  const at = caretIndex(executedLine, shown, caretWidth, wildcards);
  return at === undefined ? undefined : userStart + at - wildcards;
}

/** Where DuckDB's caret points in `line`: the shown text may be cut to `...` on either side. */
function caretIndex(line: string, shown: string, caretWidth: number, wildcards: number): number | undefined {
  const cutStart = shown.startsWith(TRUNCATION);
  const core = (cutStart ? shown.slice(TRUNCATION.length) : shown).replace(/\.\.\.$/, '');
  const start = cutStart ? findWithWildcards(line, core, wildcards) : 0;
  if (start === undefined) return undefined;
  let width = cutStart ? TRUNCATION.length : 0;
  let i = start;
  while (i < line.length && width < caretWidth) {
    const cp = line.codePointAt(i) ?? 0;
    width += renderWidth(cp);
    i += cp > 0xffff ? 2 : 1;
  }
  return i;
}

/** First index where `needle` occurs in `line`, the first `wildcards` characters of `line` matching anything. */
function findWithWildcards(line: string, needle: string, wildcards: number): number | undefined {
  for (let start = 0; start + needle.length <= line.length; start++) {
    let matches = true;
    for (let k = 0; k < needle.length && matches; k++) matches = start + k < wildcards || line[start + k] === needle[k];
    if (matches) return start;
  }
  return undefined;
}

/** Terminal columns a code point takes: 2 for East Asian wide characters and emoji, as DuckDB renders them. */
function renderWidth(cp: number): number {
  const wide =
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd);
  return wide ? 2 : 1;
}

/** Where each line of `text` starts; \r\n, \r and \n each end a line, as DuckDB counts them. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\r' && text[i + 1] === '\n') continue;
    if (ch === '\n' || ch === '\r') starts.push(i + 1);
  }
  return starts;
}

/** 1-based line and column of `index` in `text`, and that line's text. */
function lineAndColumn(text: string, index: number): { line: number; column: number; lineText: string } {
  const starts = lineStarts(text);
  let line = 1;
  while (line < starts.length && starts[line]! <= index) line++;
  const lineStart = starts[line - 1]!;
  const rest = text.slice(lineStart);
  const end = rest.search(/\r|\n/);
  return { line, column: index - lineStart + 1, lineText: end === -1 ? rest : rest.slice(0, end) };
}

/** DuckDB's context form over the user's own line: `LINE 3: <text>` and a caret under the error. */
function caretContext(line: number, lineText: string, columnIndex: number): string {
  const from = Math.max(0, columnIndex - CONTEXT_HALF_WIDTH);
  const to = Math.min(lineText.length, columnIndex + CONTEXT_HALF_WIDTH);
  const before = (from > 0 ? TRUNCATION : '') + lineText.slice(from, columnIndex);
  const shown = before + lineText.slice(columnIndex, to) + (to < lineText.length ? TRUNCATION : '');
  const prefix = `LINE ${line}: `;
  let width = 0;
  for (const ch of before) width += renderWidth(ch.codePointAt(0) ?? 0);
  return `${prefix}${shown}\n${' '.repeat(prefix.length + width)}^`;
}

/** The UTF-16 index of the `codePoints`-th code point of `text`. */
function utf16Index(text: string, codePoints: number): number {
  let index = 0;
  for (let n = 0; n < codePoints && index < text.length; n++) index += (text.codePointAt(index) ?? 0) > 0xffff ? 2 : 1;
  return index;
}
