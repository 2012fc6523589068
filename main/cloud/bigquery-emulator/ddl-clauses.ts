import type { Field } from './schema.ts';
import { canonicalType } from './schema.ts';
import { isWord, refuse, type Cursor } from './sql-tokens.ts';

/**
 * The clauses of CREATE TABLE the emulator reads, from
 * https://cloud.google.com/bigquery/docs/reference/standard-sql/data-definition-language#create_table_statement:
 * column lists with GoogleSQL types, `PARTITION BY` and `CLUSTER BY`.
 */

/** GoogleSQL type names (and aliases) → the type names the REST API uses in a TableFieldSchema. */
const TYPE_NAMES: Record<string, string> = {
  INT64: 'INTEGER',
  INT: 'INTEGER',
  INTEGER: 'INTEGER',
  BIGINT: 'INTEGER',
  SMALLINT: 'INTEGER',
  TINYINT: 'INTEGER',
  BYTEINT: 'INTEGER',
  FLOAT64: 'FLOAT',
  NUMERIC: 'NUMERIC',
  DECIMAL: 'NUMERIC',
  BIGNUMERIC: 'BIGNUMERIC',
  BIGDECIMAL: 'BIGNUMERIC',
  BOOL: 'BOOLEAN',
  BOOLEAN: 'BOOLEAN',
  STRING: 'STRING',
  BYTES: 'BYTES',
  DATE: 'DATE',
  DATETIME: 'DATETIME',
  TIME: 'TIME',
  TIMESTAMP: 'TIMESTAMP',
  JSON: 'JSON',
  GEOGRAPHY: 'GEOGRAPHY',
  INTERVAL: 'INTERVAL',
};

/** `(name TYPE [NOT NULL] [OPTIONS(…)], …)`: the cursor is on the opening parenthesis. */
export function readColumnList(cursor: Cursor): Field[] {
  cursor.expectSymbol('to open the column list', '(');
  const fields: Field[] = [];
  do {
    if (['PRIMARY', 'FOREIGN', 'CONSTRAINT'].some((w) => isWord(cursor.peek(), w)))
      refuse('table constraints (PRIMARY KEY, FOREIGN KEY) are not supported by the emulator');
    const name = readName(cursor, 'as a column name');
    const field = readType(cursor, name);
    if (cursor.acceptWords('NOT', 'NULL')) {
      if (field.mode === 'REPEATED') refuse(`Column ${name}: NOT NULL cannot be applied to an ARRAY`);
      field.mode = 'REQUIRED';
    }
    if (cursor.acceptWords('OPTIONS')) skipParenthesised(cursor);
    if (isWord(cursor.peek(), 'DEFAULT')) refuse(`Column ${name}: DEFAULT values are not supported by the emulator`);
    fields.push(field);
  } while (cursor.acceptSymbol(','));
  cursor.expectSymbol('to close the column list', ')');
  const seen = new Set<string>();
  for (const field of fields) {
    if (seen.has(field.name.toLowerCase())) refuse(`Duplicate column name ${field.name} in CREATE TABLE`);
    seen.add(field.name.toLowerCase());
  }
  return fields;
}

/** A GoogleSQL type: `INT64`, `NUMERIC(10, 2)`, `ARRAY<STRING>`, `STRUCT<a INT64, b ARRAY<DATE>>`. */
function readType(cursor: Cursor, name: string): Field {
  const token = cursor.next();
  const word = token?.kind === 'word' ? token.text.toUpperCase() : '';
  if (word === 'ARRAY') {
    cursor.expectSymbol('after ARRAY', '<');
    const element = readType(cursor, name);
    if (element.mode === 'REPEATED') refuse(`Column ${name}: arrays of arrays are not allowed; wrap the inner array in a STRUCT`);
    cursor.expectSymbol('to close ARRAY<…>', '>');
    return { ...element, mode: 'REPEATED' };
  }
  if (word === 'STRUCT') {
    cursor.expectSymbol('after STRUCT', '<');
    const fields: Field[] = [];
    do fields.push(readType(cursor, readName(cursor, 'as a STRUCT field name')));
    while (cursor.acceptSymbol(','));
    cursor.expectSymbol('to close STRUCT<…>', '>');
    return { name, type: 'RECORD', mode: 'NULLABLE', fields };
  }
  const type = TYPE_NAMES[word];
  if (!type) refuse(`Column ${name}: type ${token?.text ?? 'missing'} is not a GoogleSQL type`);
  if (cursor.acceptSymbol('(')) {
    // Parameterised types (STRING(10), NUMERIC(10, 2)) keep their base type here: the emulator does not enforce lengths.
    while (!cursor.atEnd() && !cursor.acceptSymbol(')')) cursor.next();
  }
  return { name, type, mode: 'NULLABLE' };
}

/** A column or field name: a word or a backtick-quoted name. */
export function readName(cursor: Cursor, where: string): string {
  const token = cursor.next();
  if (token?.kind !== 'word' && token?.kind !== 'name')
    refuse(`Syntax error: expected a name ${where} but got ${token ? `"${token.text}"` : 'end of statement'}`);
  return token.text;
}

/** Skips a parenthesised group such as `OPTIONS(description = "x")`. */
export function skipParenthesised(cursor: Cursor): void {
  cursor.expectSymbol('to open the options', '(');
  let depth = 1;
  while (depth > 0) {
    const token = cursor.next();
    if (!token) refuse('Syntax error: unclosed parenthesis');
    if (token.kind === 'symbol' && token.text === '(') depth++;
    if (token.kind === 'symbol' && token.text === ')') depth--;
  }
}

/** How a table is partitioned, as the table resource records it, plus the column type the expression needs. */
export interface Partitioning {
  timePartitioning?: { type: string; field?: string };
  rangePartitioning?: { field: string; range: { start: string; end: string; interval: string } };
  /** The partitioning column and the types it may have. */
  column?: { name: string; types: string[] };
}

const EXPECTED =
  'PARTITION BY expression must be _PARTITIONDATE, DATE(_PARTITIONTIME), <date_column>, DATE(<timestamp_column>), DATE(<datetime_column>), DATETIME_TRUNC(<datetime_column>, DAY/HOUR/MONTH/YEAR), TIMESTAMP_TRUNC(<timestamp_column>, DAY/HOUR/MONTH/YEAR), DATE_TRUNC(<date_column>, MONTH/YEAR), or RANGE_BUCKET(<int64_column>, GENERATE_ARRAY(<int64_value>, <int64_value>[, <int64_value>]))';

/** The partition expression after `PARTITION BY`. */
export function readPartitioning(cursor: Cursor): Partitioning {
  const head = cursor.next();
  const word = head?.kind === 'word' ? head.text.toUpperCase() : '';
  if (word === '_PARTITIONDATE') return { timePartitioning: { type: 'DAY' } };
  if (!cursor.acceptSymbol('(')) {
    if (head?.kind !== 'word' && head?.kind !== 'name') refuse(EXPECTED);
    return { timePartitioning: { type: 'DAY', field: head.text }, column: { name: head.text, types: ['DATE'] } };
  }
  if (word === 'RANGE_BUCKET') return readRangeBucket(cursor);
  const column = readName(cursor, `in ${word || 'PARTITION BY'}(…)`);
  let unit = 'DAY';
  if (cursor.acceptSymbol(',')) unit = (cursor.next()?.text ?? '').toUpperCase();
  cursor.expectSymbol('to close the partition expression', ')');
  const isIngestion = column.toUpperCase() === '_PARTITIONTIME';
  const types: Record<string, { types: string[]; units: string[] }> = {
    DATE: { types: ['TIMESTAMP', 'DATETIME'], units: ['DAY'] },
    TIMESTAMP_TRUNC: { types: ['TIMESTAMP'], units: ['DAY', 'HOUR', 'MONTH', 'YEAR'] },
    DATETIME_TRUNC: { types: ['DATETIME'], units: ['DAY', 'HOUR', 'MONTH', 'YEAR'] },
    DATE_TRUNC: { types: ['DATE'], units: ['MONTH', 'YEAR'] },
  };
  const rule = types[word];
  if (!rule || !rule.units.includes(unit)) refuse(EXPECTED);
  if (isIngestion) return { timePartitioning: { type: unit } };
  return { timePartitioning: { type: unit, field: column }, column: { name: column, types: rule.types } };
}

function readRangeBucket(cursor: Cursor): Partitioning {
  const column = readName(cursor, 'in RANGE_BUCKET(…)');
  cursor.expectSymbol('in RANGE_BUCKET(…)', ',');
  cursor.expectWords('in RANGE_BUCKET(…)', 'GENERATE_ARRAY');
  cursor.expectSymbol('after GENERATE_ARRAY', '(');
  const values: string[] = [];
  do {
    const sign = cursor.acceptSymbol('-') ? '-' : '';
    const token = cursor.next();
    if (token?.kind !== 'number' || !/^\d+$/.test(token.text)) refuse(EXPECTED);
    values.push(sign + token.text);
  } while (cursor.acceptSymbol(','));
  cursor.expectSymbol('to close GENERATE_ARRAY(…)', ')');
  cursor.expectSymbol('to close RANGE_BUCKET(…)', ')');
  if (values.length < 2 || values.length > 3) refuse(EXPECTED);
  return {
    rangePartitioning: { field: column, range: { start: values[0]!, end: values[1]!, interval: values[2] ?? '1' } },
    column: { name: column, types: ['INTEGER'] },
  };
}

/** `CLUSTER BY a, b`: at most four columns (https://cloud.google.com/bigquery/docs/clustered-tables#limitations). */
export function readClustering(cursor: Cursor): string[] {
  const fields: string[] = [];
  do fields.push(readName(cursor, 'in CLUSTER BY'));
  while (cursor.acceptSymbol(','));
  if (fields.length > 4) refuse(`Too many clustering columns: ${fields.length}, the limit is 4`);
  return fields;
}

/** Checks the partitioning and clustering columns against the table's schema (the job fails as BigQuery's does). */
export function checkLayout(schema: Field[], partitioning: Partitioning | undefined, clustering: string[] | undefined): void {
  const find = (name: string) => schema.find((f) => f.name.toLowerCase() === name.toLowerCase());
  const column = partitioning?.column;
  if (column) {
    const field = find(column.name);
    if (!field) refuse(`Unrecognized name: ${column.name} (the partitioning column is not in the table)`);
    const type = canonicalType(field.type);
    if (field.mode === 'REPEATED' || !column.types.includes(type))
      refuse(`${EXPECTED}; column ${field.name} is ${field.mode === 'REPEATED' ? 'ARRAY' : type}`);
  }
  for (const name of clustering ?? []) {
    const field = find(name);
    if (!field) refuse(`The field specified for clustering cannot be found in the schema. Invalid field: ${name}.`);
    if (field.mode === 'REPEATED' || ['RECORD', 'JSON', 'FLOAT', 'INTERVAL'].includes(canonicalType(field.type)))
      refuse(`Clustering is not supported on column ${name} of type ${field.mode === 'REPEATED' ? 'ARRAY' : canonicalType(field.type)}`);
  }
}
