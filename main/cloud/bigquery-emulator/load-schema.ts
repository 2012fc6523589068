import type { DuckDBConnection } from '@duckdb/node-api';
import { JobFailure, type TableMeta } from './catalog.ts';
import type { SourceFile } from './gcs-files.ts';
import type { HiveLayout } from './hive-partitions.ts';
import { isLoadable, parquetFileSchema, parquetOptionsOf } from './parquet-schema.ts';
import { canonicalType, describeType, normaliseField, resultField, schemaMismatch, type Field } from './schema.ts';

/** What decides a load's target schema. */
export interface SchemaInputs {
  load: Record<string, unknown>;
  format: string;
  files: SourceFile[];
  existing: TableMeta | undefined;
  write: string;
  tableName: string;
  hive: HiveLayout | undefined;
  /** The files' columns as DuckDB reads them (hive keys included), for CSV and JSON detection. */
  duckColumns: { name: string; type: string }[];
}

/** The explicit schema of a load, spelled as the API returns it; undefined when none was given. */
export function explicitSchema(load: Record<string, unknown>): Field[] | undefined {
  const fields = (load.schema as { fields?: Field[] } | undefined)?.fields;
  return fields && fields.length > 0 ? fields.map(normaliseField) : undefined;
}

/**
 * The schema a load writes, as BigQuery decides it (https://cloud.google.com/bigquery/docs/loading-data-cloud-storage-parquet):
 * an explicit schema wins where the files can be read as it says; without one, Parquet types come from the
 * alphabetically last file's footer (parquet-schema.ts), and an append must match the table's schema exactly.
 */
export async function targetSchema(conn: DuckDBConnection, inputs: SchemaInputs): Promise<Field[]> {
  const { load, existing, write, tableName, hive } = inputs;
  const explicit = explicitSchema(load);
  // Partition keys missing from an explicit schema are appended to it, as BigQuery adds them to the table.
  for (const key of hive?.keys ?? []) {
    if (explicit && !explicit.some((f) => f.name.toLowerCase() === key.name.toLowerCase()))
      explicit.push({ name: key.name, type: key.type, mode: 'NULLABLE' });
  }
  const fromFiles = await detectedSchema(conn, inputs);
  if (explicit) {
    checkReadable(explicit, fromFiles, inputs);
    if (existing && write === 'WRITE_APPEND') refuseMismatch(explicit, existing.schema, tableName);
    return explicit;
  }
  if (existing && write === 'WRITE_APPEND') {
    refuseMismatch(fromFiles, existing.schema, tableName);
    return existing.schema;
  }
  return fromFiles;
}

function refuseMismatch(provided: Field[], table: Field[], tableName: string): void {
  const mismatch = schemaMismatch(provided, table);
  if (mismatch) throw new JobFailure('invalid', `Provided Schema does not match Table ${tableName}. ${mismatch}.`.replace(/\.\.$/, '.'));
}

async function detectedSchema(conn: DuckDBConnection, inputs: SchemaInputs): Promise<Field[]> {
  const hiveKeys = (inputs.hive?.keys ?? []).map((k) => ({ name: k.name, type: k.type, mode: 'NULLABLE' }));
  if (inputs.format === 'PARQUET') {
    // "the table schema comes from the alphabetically last file" when no schema is given.
    const last = [...inputs.files].sort((a, b) => a.uri.localeCompare(b.uri)).at(-1)!;
    const fields = await parquetFileSchema(conn, last.path, last.uri, parquetOptionsOf(inputs.load));
    return [...fields, ...hiveKeys];
  }
  const keys = new Set(hiveKeys.map((k) => k.name.toLowerCase()));
  // CSV and JSON autodetection reads a date-time text as TIMESTAMP.
  const detected = inputs.duckColumns
    .filter((c) => !keys.has(c.name.toLowerCase()))
    .map((c) => {
      const field = resultField(c.name, c.type);
      return canonicalType(field.type) === 'DATETIME' ? { ...field, type: 'TIMESTAMP' } : field;
    });
  return [...detected, ...hiveKeys];
}

/** Each explicit field present in the files must be readable as declared. */
function checkReadable(explicit: Field[], fromFiles: Field[], inputs: SchemaInputs): void {
  if (inputs.format !== 'PARQUET') return;
  const byName = new Map(fromFiles.map((f) => [f.name.toLowerCase(), f]));
  for (const field of explicit) {
    const found = byName.get(field.name.toLowerCase());
    if (found && !isLoadable(found, field)) {
      const uri = inputs.files[0]?.uri ?? 'upload';
      throw new JobFailure(
        'invalid',
        `Provided schema is not compatible with the file '${uri}'. Field '${field.name}' is specified as ${describeType(field)} in provided schema which does not match ${describeType(found)} as specified in the file.`,
        uri,
      );
    }
  }
}
