import { UserError, type ErrorPlace } from '../model/errors.ts';
import { quoteIdent } from '../data/sql-names.ts';
import type { ColumnInfo } from '../model/workspace-types.ts';

/** Postgres truncates identifiers longer than this many bytes; we refuse them instead. */
export const PG_MAX_IDENTIFIER_BYTES = 63;

/** How one DuckDB column travels to Postgres: its Postgres type and the DuckDB expression that writes its CSV text. */
export interface ExportColumn {
  name: string;
  duckType: string;
  pgType: string;
  /** A DuckDB expression over the upstream relation whose CSV text Postgres parses as `pgType`. */
  selectExpr: string;
}

const SIMPLE: Record<string, string> = {
  BOOLEAN: 'boolean',
  TINYINT: 'smallint',
  UTINYINT: 'smallint',
  SMALLINT: 'smallint',
  USMALLINT: 'integer',
  INTEGER: 'integer',
  UINTEGER: 'bigint',
  BIGINT: 'bigint',
  UBIGINT: 'numeric(20,0)',
  HUGEINT: 'numeric(39,0)',
  UHUGEINT: 'numeric(39,0)',
  FLOAT: 'real',
  DOUBLE: 'double precision',
  VARCHAR: 'text',
  DATE: 'date',
  TIME: 'time',
  'TIME WITH TIME ZONE': 'timetz',
  TIMESTAMP: 'timestamp',
  TIMESTAMP_S: 'timestamp',
  TIMESTAMP_MS: 'timestamp',
  TIMESTAMP_NS: 'timestamp',
  'TIMESTAMP WITH TIME ZONE': 'timestamptz',
  INTERVAL: 'interval',
  UUID: 'uuid',
  JSON: 'jsonb',
};

/**
 * Maps a DuckDB column to Postgres: integers by width (unsigned ones widened), DECIMAL(p,s) → numeric(p,s),
 * BLOB → bytea (written as `\x` hex), lists, structs, maps and unions → jsonb (written as JSON), ENUM → text;
 * anything else travels as its text in a text column.
 */
export function exportColumn(column: ColumnInfo): ExportColumn {
  const ref = quoteIdent(column.name);
  const type = column.type.toUpperCase();
  const base = { name: column.name, duckType: column.type };
  const simple = SIMPLE[type];
  if (simple) return { ...base, pgType: simple, selectExpr: ref };
  const decimal = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(type);
  if (decimal) return { ...base, pgType: `numeric(${decimal[1]},${decimal[2]})`, selectExpr: ref };
  if (type === 'BLOB') return { ...base, pgType: 'bytea', selectExpr: `'\\x' || hex(${ref})` };
  if (/\[\d*\]$/.test(type) || /^(STRUCT|MAP|UNION)\(/.test(type))
    return { ...base, pgType: 'jsonb', selectExpr: `CAST(to_json(${ref}) AS VARCHAR)` };
  return { ...base, pgType: 'text', selectExpr: `CAST(${ref} AS VARCHAR)` };
}

/** Refuses names Postgres would mangle or reject, before anything is written: duplicates and names over 63 bytes. */
export function checkExportNames(columns: ColumnInfo[], place: ErrorPlace): void {
  const seen = new Set<string>();
  for (const { name } of columns) {
    if (Buffer.byteLength(name, 'utf8') > PG_MAX_IDENTIFIER_BYTES) {
      throw new UserError(
        `column ${JSON.stringify(name)} is ${Buffer.byteLength(name, 'utf8')} bytes long; Postgres allows ${PG_MAX_IDENTIFIER_BYTES}: rename it upstream`,
        place,
      );
    }
    if (seen.has(name)) throw new UserError(`two columns are named ${JSON.stringify(name)}: rename one upstream`, place);
    seen.add(name);
  }
}

/** Checks a schema or table name against Postgres's length limit (names are quoted, so any characters are fine). */
export function checkIdentifier(name: string, what: string, place: ErrorPlace): void {
  if (name === '') throw new UserError(`${what} is empty`, place);
  if (Buffer.byteLength(name, 'utf8') > PG_MAX_IDENTIFIER_BYTES) {
    throw new UserError(`${what} ${JSON.stringify(name)} is longer than Postgres's ${PG_MAX_IDENTIFIER_BYTES} bytes`, place);
  }
}

/**
 * How a Postgres column (as `format_type` names it) is read into DuckDB from Postgres's CSV text: the DuckDB type
 * and the expression turning the raw text column `ref` into it. numeric without precision → DOUBLE (DuckDB's
 * DECIMAL stops at 38 digits); arrays and unknown types stay text.
 */
export function importColumn(pgType: string, ref: string): { duckType: string; expr: string } {
  const t = pgType.toLowerCase();
  const cast = (duckType: string) => ({ duckType, expr: `CAST(${ref} AS ${duckType})` });
  if (t.endsWith('[]')) return { duckType: 'VARCHAR', expr: ref };
  const numeric = /^numeric\((\d+),(\d+)\)$/.exec(t);
  if (numeric && Number(numeric[1]) <= 38) return cast(`DECIMAL(${numeric[1]},${numeric[2]})`);
  if (t === 'bytea') return { duckType: 'BLOB', expr: `unhex(substr(${ref}, 3))` };
  const simple: Record<string, string> = {
    smallint: 'SMALLINT',
    integer: 'INTEGER',
    bigint: 'BIGINT',
    real: 'FLOAT',
    'double precision': 'DOUBLE',
    numeric: 'DOUBLE',
    boolean: 'BOOLEAN',
    date: 'DATE',
    'time without time zone': 'TIME',
    'timestamp without time zone': 'TIMESTAMP',
    'timestamp with time zone': 'TIMESTAMPTZ',
    interval: 'INTERVAL',
    uuid: 'UUID',
    json: 'JSON',
    jsonb: 'JSON',
  };
  const known = simple[t] ?? (t.startsWith('numeric') ? 'DOUBLE' : t.startsWith('timestamp(') ? 'TIMESTAMP' : undefined);
  return known ? cast(known) : { duckType: 'VARCHAR', expr: ref };
}
