/**
 * BigQuery schema fields ↔ DuckDB types, shared by the export and source blocks and the emulator.
 *
 * DuckDB → BigQuery (what an export declares; names as the REST API returns them):
 *   BOOLEAN → BOOLEAN; TINYINT…BIGINT, UTINYINT…UINTEGER → INTEGER; UBIGINT, HUGEINT, UHUGEINT → BIGNUMERIC;
 *   FLOAT, DOUBLE → FLOAT; DECIMAL(p,s) → NUMERIC when s ≤ 9 and p − s ≤ 29, else BIGNUMERIC;
 *   VARCHAR, UUID, ENUM → STRING; BLOB → BYTES; DATE → DATE; TIME → TIME;
 *   TIMESTAMP WITH TIME ZONE → TIMESTAMP; naive TIMESTAMP → TIMESTAMP or DATETIME (`naive`: what its Parquet says);
 *   JSON → JSON; STRUCT → RECORD; T[] → T with mode REPEATED.
 *   Refused (with the column named): INTERVAL, MAP, UNION, BIT, lists of lists (BigQuery has no arrays of arrays).
 * BigQuery → DuckDB: INTEGER → BIGINT, FLOAT → DOUBLE, NUMERIC → DECIMAL(38,9), BIGNUMERIC → VARCHAR (76 digits do
 *   not fit DuckDB's DECIMAL(38); the exact text is kept), BOOLEAN → BOOLEAN, STRING → VARCHAR, BYTES → BLOB,
 *   DATE → DATE, TIME → TIME, DATETIME and TIMESTAMP → TIMESTAMP (UTC), JSON → JSON, GEOGRAPHY → VARCHAR (WKT),
 *   INTERVAL → INTERVAL, RECORD → STRUCT, REPEATED → T[].
 */
import { quoteIdent } from '../data/sql-names.ts';

/** One field of a BigQuery table schema (REST `TableFieldSchema`). */
export interface BigQueryField {
  name: string;
  type: string;
  mode?: string;
  fields?: BigQueryField[];
  description?: string;
}

/** A DuckDB type BigQuery cannot hold; the message says what to do instead. */
export class UnsupportedTypeError extends Error {}

const STANDARD_NAMES: Record<string, string> = {
  INT64: 'INTEGER',
  FLOAT64: 'FLOAT',
  BOOL: 'BOOLEAN',
  STRUCT: 'RECORD',
  BIGDECIMAL: 'BIGNUMERIC',
  DECIMAL: 'NUMERIC',
};

/** The REST API's spelling of a type (`INT64` → `INTEGER`, `BOOL` → `BOOLEAN`, …), as tables.get returns it. */
export function canonicalType(type: string): string {
  const upper = type.toUpperCase();
  return STANDARD_NAMES[upper] ?? upper;
}

/** The BigQuery field for a DuckDB column; throws UnsupportedTypeError for types BigQuery cannot load. */
export function bigQueryFieldFor(name: string, duckType: string, naive: 'TIMESTAMP' | 'DATETIME' = 'TIMESTAMP'): BigQueryField {
  const type = duckType.trim();
  const list = /^(.*)\[\d*\]$/s.exec(type);
  if (list?.[1] !== undefined) {
    const element = bigQueryFieldFor(name, list[1], naive);
    if (element.mode === 'REPEATED')
      throw new UnsupportedTypeError(`${name} is a list of lists (${type}); BigQuery has no arrays of arrays`);
    return { ...element, mode: 'REPEATED' };
  }
  const upper = type.toUpperCase();
  if (upper.startsWith('STRUCT(')) {
    return { name, type: 'RECORD', mode: 'NULLABLE', fields: structMembers(type).map((m) => bigQueryFieldFor(m.name, m.type, naive)) };
  }
  if (upper.startsWith('TIMESTAMP')) return { name, type: upper.includes('TIME ZONE') ? 'TIMESTAMP' : naive, mode: 'NULLABLE' };
  return { name, type: scalarType(name, upper), mode: 'NULLABLE' };
}

function scalarType(name: string, upper: string): string {
  const decimal = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(upper);
  if (decimal) return Number(decimal[2]) <= 9 && Number(decimal[1]) - Number(decimal[2]) <= 29 ? 'NUMERIC' : 'BIGNUMERIC';
  if (upper.startsWith('ENUM(')) return 'STRING';
  if (upper.startsWith('TIMESTAMP')) return 'TIMESTAMP';
  const simple: Record<string, string> = {
    BOOLEAN: 'BOOLEAN',
    TINYINT: 'INTEGER',
    SMALLINT: 'INTEGER',
    INTEGER: 'INTEGER',
    BIGINT: 'INTEGER',
    UTINYINT: 'INTEGER',
    USMALLINT: 'INTEGER',
    UINTEGER: 'INTEGER',
    UBIGINT: 'BIGNUMERIC',
    HUGEINT: 'BIGNUMERIC',
    UHUGEINT: 'BIGNUMERIC',
    FLOAT: 'FLOAT',
    DOUBLE: 'FLOAT',
    VARCHAR: 'STRING',
    UUID: 'STRING',
    BLOB: 'BYTES',
    DATE: 'DATE',
    TIME: 'TIME',
    JSON: 'JSON',
  };
  const found = simple[upper];
  if (found) return found;
  const advice = upper.startsWith('MAP(')
    ? 'convert it to JSON (to_json) or a list of structs in a transform'
    : 'cast it to a string or number in a transform';
  throw new UnsupportedTypeError(`${name} has DuckDB type ${upper}, which BigQuery cannot load: ${advice}`);
}

/** The DuckDB type that holds a BigQuery field's values (see the table at the top). */
export function duckTypeFor(field: BigQueryField): string {
  const element = elementDuckType(field);
  return field.mode?.toUpperCase() === 'REPEATED' ? `${element}[]` : element;
}

function elementDuckType(field: BigQueryField): string {
  const type = canonicalType(field.type);
  if (type === 'RECORD') {
    const members = (field.fields ?? []).map((f) => `${quoteIdent(f.name)} ${duckTypeFor(f)}`);
    if (members.length === 0) throw new UnsupportedTypeError(`RECORD field ${field.name} has no fields`);
    return `STRUCT(${members.join(', ')})`;
  }
  const types: Record<string, string> = {
    INTEGER: 'BIGINT',
    FLOAT: 'DOUBLE',
    NUMERIC: 'DECIMAL(38,9)',
    BIGNUMERIC: 'VARCHAR',
    BOOLEAN: 'BOOLEAN',
    STRING: 'VARCHAR',
    BYTES: 'BLOB',
    DATE: 'DATE',
    TIME: 'TIME',
    DATETIME: 'TIMESTAMP',
    TIMESTAMP: 'TIMESTAMP',
    JSON: 'JSON',
    GEOGRAPHY: 'VARCHAR',
    INTERVAL: 'INTERVAL',
  };
  const found = types[type];
  if (!found) throw new UnsupportedTypeError(`field ${field.name} has type ${field.type}, which is not a BigQuery type this build knows`);
  return found;
}

/** Members of `STRUCT(a INTEGER, "b c" VARCHAR[])` as DuckDB prints them. */
function structMembers(type: string): { name: string; type: string }[] {
  const inner = type.slice(type.indexOf('(') + 1, type.lastIndexOf(')'));
  return splitTopLevel(inner).map((member) => {
    const quoted = /^"((?:[^"]|"")*)"\s+(.*)$/s.exec(member);
    if (quoted) return { name: quoted[1]!.replaceAll('""', '"'), type: quoted[2]!.trim() };
    const space = member.search(/\s/);
    return { name: member.slice(0, space), type: member.slice(space + 1).trim() };
  });
}

/** Splits on commas that are not inside parentheses or quotes. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote = '';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (quote) {
      if (char === quote) quote = '';
    } else if (char === '"' || char === "'") {
      quote = char;
    } else if (char === '(') {
      depth++;
    } else if (char === ')') {
      depth--;
    } else if (char === ',' && depth === 0) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  const last = text.slice(start).trim();
  if (last) parts.push(last);
  return parts;
}

/** Fields differing between two schemas, by name (case-insensitive, as BigQuery compares): `"fare: NUMERIC ≠ FLOAT"`. */
export function schemaDifferences(expected: BigQueryField[], actual: BigQueryField[]): string[] {
  const byName = new Map(actual.map((f) => [f.name.toLowerCase(), f]));
  const problems: string[] = [];
  for (const field of expected) {
    const other = byName.get(field.name.toLowerCase());
    if (!other) {
      problems.push(`${field.name}: not in the table`);
    } else if (describeType(field) !== describeType(other)) {
      problems.push(`${field.name}: ${describeType(field)} here, ${describeType(other)} in the table`);
    }
    byName.delete(field.name.toLowerCase());
  }
  for (const field of byName.values()) {
    if (field.mode?.toUpperCase() === 'REQUIRED') problems.push(`${field.name}: REQUIRED in the table but not in this output`);
  }
  return problems;
}

/** `INTEGER`, `STRING REPEATED`, `RECORD<a INTEGER, b STRING>`: a field's type for messages and comparisons. */
export function describeType(field: BigQueryField): string {
  const type = canonicalType(field.type);
  const inner = type === 'RECORD' ? `<${(field.fields ?? []).map((f) => `${f.name} ${describeType(f)}`).join(', ')}>` : '';
  return `${type}${inner}${field.mode?.toUpperCase() === 'REPEATED' ? ' REPEATED' : ''}`;
}
