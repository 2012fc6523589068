import type { DuckDBConnection } from '@duckdb/node-api';
import { canonicalType, type Field } from './schema.ts';
import { quoteIdent } from './sql.ts';

/** A row as BigQuery's REST API sends it: `{f: [{v}, …]}`. */
export interface WireRow {
  f: { v: unknown }[];
}

/** `timestamps: 'int64'` when the client asked for `formatOptions.useInt64Timestamp` (microseconds since the epoch). */
export interface RowFormat {
  int64Timestamps: boolean;
}

/**
 * Reads rows `offset … offset+limit` of a table (in insertion order) as the JSON text of the `rows` array (see
 * readWireRows); without RECORD or REPEATED columns DuckDB writes the text itself, which JS would only re-parse.
 */
export async function readWireRowsJson(
  conn: DuckDBConnection,
  relation: string,
  schema: Field[],
  window: { offset: number; limit: number },
  format: RowFormat,
): Promise<string> {
  if (schema.length === 0 || window.limit <= 0 || schema.some(isNested))
    return JSON.stringify(await readWireRows(conn, relation, schema, window, format));
  const cells = schema.map((f) => `{'v': ${encodeExpr(f, quoteIdent(f.name), format)}}`);
  const texts = (
    await conn.runAndReadAll(
      `SELECT CAST(to_json({'f': [${cells.join(', ')}]}) AS VARCHAR) FROM ${await windowOf(conn, relation, window)} ORDER BY "__pw_row"`,
    )
  ).getRowsJS();
  return `[${texts.map((r) => String(r[0])).join(',')}]`;
}

/**
 * The window cut before encoding, so a page encodes its own rows only (not the whole table, then a slice). Rows the
 * emulator never deletes keep rowids 0…n-1 in storage order: then the window is a range of rowids, read without
 * scanning the rows before it (a page deep in a million rows in milliseconds); otherwise LIMIT/OFFSET.
 */
async function windowOf(conn: DuckDBConnection, relation: string, window: { offset: number; limit: number }): Promise<string> {
  const dense = (await conn.runAndReadAll(`SELECT coalesce(max(rowid) + 1, 0) = count(*) FROM ${relation}`)).getRowsJS()[0]?.[0] === true;
  if (dense)
    return `(SELECT *, rowid AS "__pw_row" FROM ${relation} WHERE rowid >= ${window.offset} AND rowid < ${window.offset + window.limit})`;
  return `(SELECT *, rowid AS "__pw_row" FROM ${relation} ORDER BY rowid LIMIT ${window.limit} OFFSET ${window.offset})`;
}

/**
 * Reads rows `offset … offset+limit` of a table (in insertion order) encoded as BigQuery does on the wire: every
 * scalar a string (INTEGER, NUMERIC, BOOLEAN `"true"`, DATE `YYYY-MM-DD`, BYTES base64, TIMESTAMP int64 µs or float
 * seconds), NULL as `v: null`, RECORD as `{f: […]}`, REPEATED as `[{v}, …]`.
 */
export async function readWireRows(
  conn: DuckDBConnection,
  relation: string,
  schema: Field[],
  window: { offset: number; limit: number },
  format: RowFormat,
): Promise<WireRow[]> {
  if (schema.length === 0 || window.limit <= 0) return [];
  const columns = schema.map((f) => `${encodeExpr(f, quoteIdent(f.name), format)} AS ${quoteIdent(f.name)}`);
  const sql = `SELECT ${columns.join(', ')} FROM ${await windowOf(conn, relation, window)} ORDER BY "__pw_row"`;
  const rows = (await conn.runAndReadAll(sql)).getRowsJS();
  return rows.map((row) => ({
    f: schema.map((field, i) => {
      const text = row[i];
      if (text === null || text === undefined) return { v: null };
      return { v: isNested(field) ? nestedCell(JSON.parse(String(text)), field, format) : String(text) };
    }),
  }));
}

function isNested(field: Field): boolean {
  return field.mode?.toUpperCase() === 'REPEATED' || canonicalType(field.type) === 'RECORD';
}

function encodeExpr(field: Field, col: string, format: RowFormat): string {
  if (isNested(field)) return `CAST(to_json(${col}) AS VARCHAR)`;
  switch (canonicalType(field.type)) {
    case 'TIMESTAMP':
      return format.int64Timestamps ? `CAST(epoch_us(${col}) AS VARCHAR)` : `CAST(epoch_us(${col}) / 1000000.0 AS VARCHAR)`;
    case 'DATETIME':
      // BigQuery prints DATETIME without a fraction when it is zero (2021-01-01T10:00:00).
      return `CASE WHEN epoch_us(${col}) % 1000000 = 0 THEN strftime(${col}, '%Y-%m-%dT%H:%M:%S') ELSE strftime(${col}, '%Y-%m-%dT%H:%M:%S.%f') END`;
    case 'BYTES':
      return `to_base64(${col})`;
    case 'FLOAT':
      return `CASE WHEN isnan(${col}) THEN 'NaN' WHEN ${col} = 'inf'::DOUBLE THEN 'Infinity' WHEN ${col} = '-inf'::DOUBLE THEN '-Infinity' ELSE CAST(${col} AS VARCHAR) END`;
    default:
      return `CAST(${col} AS VARCHAR)`;
  }
}

/** A value of a RECORD or REPEATED column (parsed from DuckDB's to_json) in the wire shape. */
function nestedCell(value: unknown, field: Field, format: RowFormat): unknown {
  if (value === null || value === undefined) return null;
  if (field.mode?.toUpperCase() === 'REPEATED') {
    const element = { ...field, mode: 'NULLABLE' };
    return (Array.isArray(value) ? value : []).map((e) => ({ v: nestedCell(e, element, format) }));
  }
  if (canonicalType(field.type) === 'RECORD') {
    const record = value as Record<string, unknown>;
    return { f: (field.fields ?? []).map((sub) => ({ v: nestedCell(record[sub.name], sub, format) })) };
  }
  if (canonicalType(field.type) === 'TIMESTAMP' && typeof value === 'string') return timestampText(value, format);
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** `2021-01-01 00:00:00.5` (DuckDB's JSON spelling, UTC) → µs or seconds since the epoch, as text. */
function timestampText(text: string, format: RowFormat): string {
  const match = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?/.exec(text);
  if (!match) return text;
  const micros = BigInt(Date.parse(`${match[1]}T${match[2]}Z`)) * 1000n + BigInt((match[3] ?? '').padEnd(6, '0') || '0');
  return format.int64Timestamps ? micros.toString() : String(Number(micros) / 1e6);
}
