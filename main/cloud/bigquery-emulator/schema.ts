import { quoteIdent } from './sql.ts';

/**
 * Table schemas as BigQuery's REST API describes them (https://cloud.google.com/bigquery/docs/reference/rest/v2/tables#TableFieldSchema),
 * and how the emulator stores each type in DuckDB. Written from Google's pages, not from the exporter's mapping.
 */
export interface Field {
  name: string;
  type: string;
  mode?: string;
  fields?: Field[];
  description?: string;
}

/** A schema BigQuery would refuse; the message is BigQuery's. */
export class SchemaError extends Error {}

/** Standard SQL names → the legacy names tables.get returns (https://cloud.google.com/bigquery/docs/reference/rest/v2/tables#TableFieldSchema.FIELDS.type). */
const LEGACY_NAMES: Record<string, string> = {
  INT64: 'INTEGER',
  FLOAT64: 'FLOAT',
  BOOL: 'BOOLEAN',
  STRUCT: 'RECORD',
  BIGDECIMAL: 'BIGNUMERIC',
  DECIMAL: 'NUMERIC',
};

export function canonicalType(type: string): string {
  const upper = type.toUpperCase();
  return LEGACY_NAMES[upper] ?? upper;
}

/** A field with its type and mode spelled as the API returns them. */
export function normaliseField(field: Field): Field {
  const type = canonicalType(field.type);
  return {
    name: field.name,
    type,
    mode: (field.mode ?? 'NULLABLE').toUpperCase(),
    ...(type === 'RECORD' ? { fields: (field.fields ?? []).map(normaliseField) } : {}),
  };
}

/**
 * The DuckDB column type holding a BigQuery type. TIMESTAMP is an instant (TIMESTAMPTZ, the emulator runs in UTC);
 * DATETIME a civil date-time (TIMESTAMP), so query results can tell them apart. BIGNUMERIC's 76 digits do not fit
 * DuckDB's DECIMAL(38): its text is kept. GEOGRAPHY is kept as WKT text.
 */
export function storageType(field: Field): string {
  const type = canonicalType(field.type);
  let element: string;
  if (type === 'RECORD') {
    if (!field.fields?.length) throw new SchemaError(`Field ${field.name} is type RECORD but has no schema.`);
    element = `STRUCT(${field.fields.map((f) => `${quoteIdent(f.name)} ${storageType(f)}`).join(', ')})`;
  } else {
    const found = STORAGE[type];
    if (!found) throw new SchemaError(`Invalid value for type: ${field.type} is not a valid value`);
    element = found;
  }
  return field.mode?.toUpperCase() === 'REPEATED' ? `${element}[]` : element;
}

const STORAGE: Record<string, string> = {
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
  TIMESTAMP: 'TIMESTAMPTZ',
  JSON: 'JSON',
  GEOGRAPHY: 'VARCHAR',
  INTERVAL: 'INTERVAL',
};

/** `INTEGER`, `RECORD<a INTEGER>`, with ` REPEATED` for arrays: a type as messages print it. */
export function describeType(field: Field): string {
  const type = canonicalType(field.type);
  const inner = type === 'RECORD' ? `<${(field.fields ?? []).map((f) => `${f.name} ${describeType(f)}`).join(', ')}>` : '';
  return `${type}${inner}${field.mode?.toUpperCase() === 'REPEATED' ? ' REPEATED' : ''}`;
}

/**
 * Why `provided` cannot be written into a table with schema `table`, in BigQuery's words
 * ("Field x has changed type from DATETIME to TIMESTAMP"), or undefined when it can. Names compare case-insensitively.
 */
export function schemaMismatch(provided: Field[], table: Field[]): string | undefined {
  const byName = new Map(table.map((f) => [f.name.toLowerCase(), f]));
  for (const field of provided) {
    const existing = byName.get(field.name.toLowerCase());
    if (!existing) return `Field ${field.name} is not in the table (no schemaUpdateOptions allow adding it).`;
    if (canonicalType(existing.type) !== canonicalType(field.type))
      return `Field ${field.name} has changed type from ${canonicalType(existing.type)} to ${canonicalType(field.type)}`;
    if (
      (existing.mode ?? 'NULLABLE').toUpperCase() !== (field.mode ?? 'NULLABLE').toUpperCase() &&
      (existing.mode ?? '').toUpperCase() === 'REPEATED'
    ) {
      return `Field ${field.name} has changed mode from REPEATED to ${(field.mode ?? 'NULLABLE').toUpperCase()}`;
    }
    if (canonicalType(field.type) === 'RECORD' && describeType(field) !== describeType(existing))
      return `Field ${field.name} has changed type from ${describeType(existing)} to ${describeType(field)}`;
    byName.delete(field.name.toLowerCase());
  }
  const required = [...byName.values()].find((f) => f.mode?.toUpperCase() === 'REQUIRED');
  return required ? `Field ${required.name} is REQUIRED in the table but missing from the data` : undefined;
}

/**
 * The BigQuery type of a query result column, from the DuckDB type it came out as. Integer arithmetic that DuckDB
 * widens (HUGEINT sums) is INT64 in BigQuery; types BigQuery lacks come back as STRING.
 */
export function resultField(name: string, duckType: string): Field {
  const type = duckType.trim();
  const list = /^(.*)\[\d*\]$/s.exec(type);
  if (list?.[1] !== undefined) return { ...resultField(name, list[1]), mode: 'REPEATED' };
  const upper = type.toUpperCase();
  if (upper.startsWith('STRUCT('))
    return { name, type: 'RECORD', mode: 'NULLABLE', fields: structMembers(type).map((m) => resultField(m.name, m.type)) };
  const decimal = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(upper);
  if (decimal) return { name, type: Number(decimal[2]) <= 9 ? 'NUMERIC' : 'BIGNUMERIC', mode: 'NULLABLE' };
  return { name, type: RESULT_TYPES[upper] ?? 'STRING', mode: 'NULLABLE' };
}

const RESULT_TYPES: Record<string, string> = {
  BOOLEAN: 'BOOLEAN',
  TINYINT: 'INTEGER',
  SMALLINT: 'INTEGER',
  INTEGER: 'INTEGER',
  BIGINT: 'INTEGER',
  HUGEINT: 'INTEGER',
  UTINYINT: 'INTEGER',
  USMALLINT: 'INTEGER',
  UINTEGER: 'INTEGER',
  UBIGINT: 'INTEGER',
  UHUGEINT: 'INTEGER',
  FLOAT: 'FLOAT',
  DOUBLE: 'FLOAT',
  VARCHAR: 'STRING',
  BLOB: 'BYTES',
  DATE: 'DATE',
  TIME: 'TIME',
  TIMESTAMP: 'DATETIME',
  'TIMESTAMP WITH TIME ZONE': 'TIMESTAMP',
  TIMESTAMP_S: 'DATETIME',
  TIMESTAMP_MS: 'DATETIME',
  TIMESTAMP_NS: 'DATETIME',
  JSON: 'JSON',
  INTERVAL: 'INTERVAL',
};

/** Members of `STRUCT(a INTEGER, "b c" VARCHAR[])` as DuckDB prints them. */
function structMembers(type: string): { name: string; type: string }[] {
  const inner = type.slice(type.indexOf('(') + 1, type.lastIndexOf(')'));
  const parts: string[] = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  for (let i = 0; i < inner.length; i++) {
    const char = inner[i];
    if (char === '"') quoted = !quoted;
    else if (!quoted && char === '(') depth++;
    else if (!quoted && char === ')') depth--;
    else if (!quoted && depth === 0 && char === ',') {
      parts.push(inner.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(inner.slice(start).trim());
  return parts
    .filter((p) => p !== '')
    .map((member) => {
      const match = /^"((?:[^"]|"")*)"\s+(.*)$/s.exec(member) ?? /^(\S+)\s+(.*)$/s.exec(member);
      return { name: (match?.[1] ?? member).replaceAll('""', '"'), type: (match?.[2] ?? 'VARCHAR').trim() };
    });
}
