import type pg from 'pg';
import { UserError } from '../model/errors.ts';
import { quoteIdent } from '../data/sql-names.ts';
import type { ExportColumn } from './postgres-types.ts';
import type { TargetColumn } from './schema-drift.ts';

/** Whether the schema exists (read-only). */
export async function schemaExists(client: pg.Client, schema: string): Promise<boolean> {
  return ((await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).rowCount ?? 0) > 0;
}

/** Creates the schema unless it exists (checked first, see below). */
export async function ensureSchema(client: pg.Client, schema: string): Promise<void> {
  // Checked first: CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the schema exists.
  const found = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
  if (found.rowCount === 0) await client.query(createSchemaSql(schema));
}

/** The target's columns in order with their types as format_type names them, or undefined when there is no table. */
export async function targetColumns(client: pg.Client, schema: string, table: string): Promise<TargetColumn[] | undefined> {
  const result = await client.query<{ name: string; type: string; kind: string }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, c.relkind AS kind
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE n.nspname = $1 AND c.relname = $2 ORDER BY a.attnum`,
    [schema, table],
  );
  if (result.rows.length === 0) return undefined;
  const kind = result.rows[0]?.kind;
  if (kind !== 'r' && kind !== 'p')
    throw new UserError(`${schema}.${table} exists but is not a table (relkind ${kind}): choose another name`);
  return result.rows.map((r) => ({ name: r.name, type: r.type }));
}

/** `"a" bigint, "b" text` for CREATE TABLE. */
export function columnDefinitions(columns: ExportColumn[]): string {
  return columns.map((c) => `${quoteIdent(c.name)} ${c.pgType}`).join(', ');
}

/** `CREATE TABLE <ref> (…)`, with a primary key on `key` when given (an upsert's target). */
export function createTableSql(ref: string, columns: ExportColumn[], key: string[] = []): string {
  const primaryKey = key.length > 0 ? `, PRIMARY KEY (${key.map(quoteIdent).join(', ')})` : '';
  return `CREATE TABLE ${ref} (${columnDefinitions(columns)}${primaryKey})`;
}

/** The swap of a replace: the old table dropped (when there is one), the staging table renamed in its place. */
export function swapInSql(target: string, stagingRef: string, table: string, hasExisting: boolean): string[] {
  return [...(hasExisting ? [`DROP TABLE ${target}`] : []), `ALTER TABLE ${stagingRef} RENAME TO ${quoteIdent(table)}`];
}

/** `ALTER TABLE … ADD COLUMN …` for a column the output has and the target lacks (on_schema_change: add_columns). */
export function addColumnSql(target: string, column: ExportColumn): string {
  return `ALTER TABLE ${target} ADD COLUMN ${quoteIdent(column.name)} ${column.pgType}`;
}

/** `CREATE SCHEMA IF NOT EXISTS …` (run only when the schema is missing: see ensureSchema). */
export function createSchemaSql(schema: string): string {
  return `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`;
}

/** `"a", "b"`: the quoted column names in order. */
export function columnList(columns: ExportColumn[]): string {
  return columns.map((c) => quoteIdent(c.name)).join(', ');
}

/** Rows loaded must equal rows read: checked before anything is swapped in, so a mismatch leaves the target untouched. */
export function checkCount(copied: number, expectedRows: number): number {
  if (copied !== expectedRows) throw new Error(`COPY loaded ${copied} rows but the block's input has ${expectedRows}; nothing was written`);
  return copied;
}
