import type { DuckDBConnection } from '@duckdb/node-api';
import { JobFailure } from './catalog.ts';
import { canonicalType, type Field } from './schema.ts';
import { quoteLiteral } from './sql.ts';

/**
 * The BigQuery schema of a Parquet file, per the conversion tables of "Loading Parquet data from Cloud Storage"
 * (https://cloud.google.com/bigquery/docs/loading-data-cloud-storage-parquet#parquet_conversions), read from the
 * file's own footer (physical, converted and logical types), not from what wrote it:
 *   BOOLEAN → BOOLEAN; INT32/INT64 (none, INT_*, UINT_*) → INTEGER; INT32 DATE → DATE; INT32/INT64/FIXED DECIMAL →
 *   NUMERIC, BIGNUMERIC or STRING per decimalTargetTypes; INT64 TIMESTAMP(isAdjustedToUTC=true) → TIMESTAMP,
 *   TIMESTAMP(isAdjustedToUTC=false) → DATETIME; TIME → TIME; INT96 → TIMESTAMP; FLOAT/DOUBLE → FLOAT;
 *   BYTE_ARRAY STRING → STRING, JSON → JSON, ENUM → BYTES (STRING with enumAsString), none → BYTES;
 *   FIXED_LEN_BYTE_ARRAY → BYTES; groups → RECORD; LIST → a REPEATED field only with enableListInference.
 */
export interface ParquetOptions {
  enableListInference: boolean;
  enumAsString: boolean;
  decimalTargetTypes: string[];
}

interface Node {
  name: string;
  physical: string | null;
  converted: string | null;
  logical: string | null;
  repetition: string;
  children: Node[];
}

/** Load options that shape the Parquet mapping (`parquetOptions`, `decimalTargetTypes`). */
export function parquetOptionsOf(load: Record<string, unknown>): ParquetOptions {
  const options = (load.parquetOptions ?? {}) as { enableListInference?: boolean; enumAsString?: boolean };
  const targets = Array.isArray(load.decimalTargetTypes) ? load.decimalTargetTypes.map((t) => String(t).toUpperCase()) : ['NUMERIC'];
  return {
    enableListInference: options.enableListInference === true,
    enumAsString: options.enumAsString === true,
    decimalTargetTypes: targets,
  };
}

/** The schema BigQuery derives from one Parquet file. */
export async function parquetFileSchema(conn: DuckDBConnection, file: string, uri: string, options: ParquetOptions): Promise<Field[]> {
  let rows: unknown[][];
  try {
    rows = (
      await conn.runAndReadAll(
        `SELECT name, type, converted_type, logical_type, repetition_type, num_children FROM parquet_schema(${quoteLiteral(file)})`,
      )
    ).getRowsJS();
  } catch (error) {
    throw new JobFailure(
      'invalid',
      `Error while reading data, error message: ${uri} is not a Parquet file: ${error instanceof Error ? error.message : String(error)}`,
      uri,
    );
  }
  const root = buildTree(rows);
  return root.children.map((node) => fieldOf(node, options, uri));
}

function buildTree(rows: unknown[][]): Node {
  let index = 0;
  const next = (): Node => {
    const [name, physical, converted, logical, repetition, children] = rows[index++]!;
    const node: Node = {
      name: String(name),
      physical: text(physical),
      converted: text(converted),
      logical: text(logical),
      repetition: String(repetition ?? 'OPTIONAL'),
      children: [],
    };
    for (let i = 0; i < Number(children ?? 0); i++) node.children.push(next());
    return node;
  };
  return next();
}

function text(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

function fieldOf(node: Node, options: ParquetOptions, uri: string): Field {
  const repeated = node.repetition === 'REPEATED';
  if (node.physical === null) return groupField(node, options, uri, repeated);
  return { name: node.name, type: primitiveType(node, options, uri), mode: repeated ? 'REPEATED' : 'NULLABLE' };
}

function groupField(node: Node, options: ParquetOptions, uri: string, repeated: boolean): Field {
  const isList = node.converted === 'LIST' || (node.logical ?? '').startsWith('ListType');
  const inner = node.children[0];
  if (isList && options.enableListInference && inner?.repetition === 'REPEATED' && inner.children.length === 1) {
    // LIST → list (repeated) → element: the element becomes a REPEATED field named after the list.
    const element = fieldOf({ ...inner.children[0]!, name: node.name, repetition: 'OPTIONAL' }, options, uri);
    if (element.mode === 'REPEATED')
      throw new JobFailure('invalid', `Error while reading data, error message: ${node.name}: nested arrays are not supported`, uri);
    return { ...element, mode: 'REPEATED' };
  }
  return {
    name: node.name,
    type: 'RECORD',
    mode: repeated ? 'REPEATED' : 'NULLABLE',
    fields: node.children.map((c) => fieldOf(c, options, uri)),
  };
}

function primitiveType(node: Node, options: ParquetOptions, uri: string): string {
  const converted = node.converted ?? '';
  const logical = node.logical ?? '';
  if (converted === 'DECIMAL' || logical.startsWith('DecimalType')) return decimalType(node, options, uri);
  switch (node.physical) {
    case 'BOOLEAN':
      return 'BOOLEAN';
    case 'INT32':
      if (converted === 'DATE' || logical.startsWith('DateType')) return 'DATE';
      if (converted.startsWith('TIME_') || logical.startsWith('TimeType')) return 'TIME';
      return 'INTEGER';
    case 'INT64':
      if (converted.startsWith('TIMESTAMP_') || logical.startsWith('TimestampType'))
        return isAdjustedToUtc(logical) ? 'TIMESTAMP' : 'DATETIME';
      if (converted.startsWith('TIME_') || logical.startsWith('TimeType')) return 'TIME';
      return 'INTEGER';
    case 'INT96':
      return 'TIMESTAMP';
    case 'FLOAT':
    case 'DOUBLE':
      return 'FLOAT';
    case 'BYTE_ARRAY':
      if (converted === 'UTF8' || logical.startsWith('StringType')) return 'STRING';
      if (converted === 'JSON' || logical.startsWith('JsonType')) return 'JSON';
      if (converted === 'ENUM' || logical.startsWith('EnumType')) return options.enumAsString ? 'STRING' : 'BYTES';
      return 'BYTES';
    case 'FIXED_LEN_BYTE_ARRAY':
      return 'BYTES';
    default:
      throw new JobFailure(
        'invalid',
        `Error while reading data, error message: unsupported Parquet type ${node.physical} for field ${node.name}`,
        uri,
      );
  }
}

/** Legacy converted types (no logical type) are UTC-adjusted by the Parquet spec. */
function isAdjustedToUtc(logical: string): boolean {
  const match = /isAdjustedToUTC=(\w+)/.exec(logical);
  return !match || match[1] === '1' || match[1]?.toLowerCase() === 'true';
}

/** NUMERIC holds 29 integer and 9 fractional digits, BIGNUMERIC 38 and 38 (https://cloud.google.com/bigquery/docs/reference/standard-sql/data-types#decimal_types). */
function decimalType(node: Node, options: ParquetOptions, uri: string): string {
  const match = /scale=(\d+), precision=(\d+)/.exec(node.logical ?? '');
  const [scale, precision] = match ? [Number(match[1]), Number(match[2])] : [0, 38];
  const fits: Record<string, boolean> = {
    NUMERIC: precision - scale <= 29 && scale <= 9,
    BIGNUMERIC: precision - scale <= 38 && scale <= 38,
    STRING: true,
  };
  const chosen = ['NUMERIC', 'BIGNUMERIC', 'STRING'].find((t) => options.decimalTargetTypes.includes(t) && fits[t]);
  if (!chosen)
    throw new JobFailure(
      'invalid',
      `Error while reading data, error message: Invalid target type for decimal column ${node.name} with precision ${precision} and scale ${scale}: none of decimalTargetTypes [${options.decimalTargetTypes.join(', ')}] can hold it`,
      uri,
    );
  return chosen;
}

/** True when a column of file type `fromFile` may be loaded into a column declared `declared` by an explicit schema. */
export function isLoadable(fromFile: Field, declared: Field): boolean {
  const [file, target] = [canonicalType(fromFile.type), canonicalType(declared.type)];
  if (file === target) return true;
  const widenings: Record<string, string[]> = {
    // The schema may say how to read a Parquet timestamp: "naive → DATETIME unless the schema says otherwise".
    DATETIME: ['TIMESTAMP'],
    TIMESTAMP: ['DATETIME'],
    INTEGER: ['NUMERIC', 'BIGNUMERIC', 'FLOAT'],
    NUMERIC: ['BIGNUMERIC'],
    STRING: ['JSON'],
    DATE: ['DATETIME', 'TIMESTAMP'],
  };
  return widenings[file]?.includes(target) ?? false;
}
