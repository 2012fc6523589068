import { quoteIdent, quoteLiteral } from './sql.ts';
import { GoogleHttpError } from '../http-util.ts';
import { rewriteFunctions } from './query-functions.ts';

/**
 * GoogleSQL → DuckDB SQL, for the emulator's query jobs. DuckDB runs the query; what is translated:
 * - backtick names: `project.dataset.table` and `dataset.table` (one quoted name or several) become
 *   "dataset"."table" (the project part is dropped: one DuckDB schema per dataset, whatever the project);
 * - string literals in double quotes ("abc") become single-quoted; r'…' raw strings keep their backslashes;
 * - `#` line comments are removed;
 * - types INT64 → BIGINT, FLOAT64 → DOUBLE, NUMERIC → DECIMAL(38,9), BIGNUMERIC → VARCHAR, BYTES → BLOB,
 *   BOOL → BOOLEAN (STRING, DATE, TIMESTAMP, … are DuckDB names too);
 * - SAFE_CAST(…) → TRY_CAST(…), `* EXCEPT (…)` → `* EXCLUDE (…)`.
 * Refused with a clear error: anything but a query (SELECT / WITH / VALUES): DML, DDL and scripts;
 * triple-quoted strings; legacy SQL. Everything else goes to DuckDB as written, and DuckDB's error comes back as
 * BigQuery's `invalidQuery`.
 */
export function translateQuery(sql: string): string {
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const char = sql[i]!;
    const rest = sql.slice(i);
    if (rest.startsWith('"""') || rest.startsWith("'''")) refuse('triple-quoted strings are not supported by the emulator');
    if (char === '-' && sql[i + 1] === '-') {
      i = lineEnd(sql, i);
    } else if (char === '#') {
      i = lineEnd(sql, i);
    } else if (char === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 2;
      out += ' ';
    } else if (char === "'" || char === '"') {
      const { text, next } = readQuoted(sql, i, char, false);
      out += quoteLiteral(text);
      i = next;
    } else if ((char === 'r' || char === 'R') && (sql[i + 1] === "'" || sql[i + 1] === '"') && !isWordChar(sql[i - 1])) {
      const { text, next } = readQuoted(sql, i + 1, sql[i + 1]!, true);
      out += quoteLiteral(text);
      i = next;
    } else if (char === '`') {
      const end = sql.indexOf('`', i + 1);
      if (end < 0) refuse('unclosed backtick name');
      out += backtickName(sql.slice(i + 1, end));
      i = end + 1;
    } else if (isWordChar(char) && !isWordChar(sql[i - 1])) {
      let end = i;
      while (end < sql.length && isWordChar(sql[end])) end++;
      out += translateWord(sql.slice(i, end), sql.slice(end));
      i = end;
    } else {
      out += char;
      i++;
    }
  }
  const statement = out.trim().replace(/;\s*$/, '');
  if (!/^(\(|select\b|with\b|values\b|from\b)/i.test(statement))
    refuse('the emulator runs queries only (SELECT, WITH, VALUES): DML, DDL and scripts are not supported');
  if (statement.includes(';')) refuse('the emulator runs one statement per query job');
  return rewriteFunctions(statement);
}

function refuse(message: string): never {
  throw new GoogleHttpError(400, 'invalidQuery', message);
}

function lineEnd(sql: string, from: number): number {
  const end = sql.indexOf('\n', from);
  return end < 0 ? sql.length : end;
}

function isWordChar(char: string | undefined): boolean {
  return char !== undefined && /[A-Za-z0-9_]/.test(char);
}

/** A GoogleSQL string literal's value: backslash escapes resolved unless raw. */
function readQuoted(sql: string, start: number, quote: string, raw: boolean): { text: string; next: number } {
  let text = '';
  let i = start + 1;
  const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '`': '`', '0': '\0' };
  while (i < sql.length && sql[i] !== quote) {
    if (sql[i] === '\\' && i + 1 < sql.length) {
      text += raw ? sql.slice(i, i + 2) : (escapes[sql[i + 1]!] ?? sql[i + 1]!);
      i += 2;
    } else {
      text += sql[i];
      i++;
    }
  }
  if (i >= sql.length) refuse('unclosed string literal');
  return { text, next: i + 1 };
}

/** `project.dataset.table` → "dataset"."table"; a single name stays one quoted identifier. */
function backtickName(name: string): string {
  const parts = name.split('.');
  const kept = parts.length === 3 ? parts.slice(1) : parts;
  return kept.map(quoteIdent).join('.');
}

const TYPE_WORDS: Record<string, string> = {
  INT64: 'BIGINT',
  FLOAT64: 'DOUBLE',
  NUMERIC: 'DECIMAL(38,9)',
  BIGNUMERIC: 'VARCHAR',
  BYTES: 'BLOB',
  BOOL: 'BOOLEAN',
};

function translateWord(word: string, after: string): string {
  const upper = word.toUpperCase();
  // TIMESTAMP(…), DATETIME(…) and DATE(…) are functions, rewritten by query-functions.ts.
  if (/^\s*\(/.test(after) && ['TIMESTAMP', 'DATETIME', 'DATE'].includes(upper)) return word;
  // A GoogleSQL TIMESTAMP is an instant (DuckDB TIMESTAMPTZ, in UTC here); a DATETIME is civil (DuckDB TIMESTAMP).
  if (upper === 'TIMESTAMP') return 'TIMESTAMPTZ';
  if (upper === 'DATETIME') return 'TIMESTAMP';
  if (upper === 'SAFE_CAST' && /^\s*\(/.test(after)) return 'TRY_CAST';
  if (upper === 'EXCEPT' && /^\s*\(/.test(after)) return 'EXCLUDE';
  return TYPE_WORDS[upper] ?? word;
}
