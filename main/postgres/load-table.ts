import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { UserError, type ErrorPlace } from '../errors.ts';
import { qualifiedName, quoteIdent } from '../data/sql-names.ts';
import type { ExportColumn } from '../blocks/postgres-types.ts';
import { copyCsvIn } from './copy-file.ts';
import type { CsvSource } from './csv-pipe.ts';
import { findDrift, type TargetColumn } from './schema-drift.ts';

export type LoadMode = 'replace' | 'append' | 'upsert' | 'fail';

export interface LoadSpec {
  schema: string;
  table: string;
  columns: ExportColumn[];
  /** CSV (no header) with the columns in `columns` order. */
  csv: CsvSource;
  mode: LoadMode;
  /** Rows the source has: COPY must report exactly this many, or the load rolls back. */
  expectedRows: number;
  /** Key columns of an upsert. */
  key: string[];
  onSchemaChange: 'fail' | 'add_columns';
  /** The append ledger's key: a retried attempt of the same run and block never appends twice. */
  runId: string;
  blockId: string;
  place: ErrorPlace;
  log(message: string): void;
  onBytes(done: number, total?: number): void;
}

export interface LoadResult {
  /** Rows COPY loaded into staging (its command tag). */
  copied: number;
  /** Rows inserted, replaced or upserted into the target. */
  written: number;
  /** True when an earlier attempt of this run already appended (nothing was loaded again). */
  wasAlreadyLoaded: boolean;
}

/** The append ledger, one per target schema: which run and block appended into which table. */
const LEDGER = '_pw_loads';

/**
 * Loads the CSV into schema.table in ONE transaction, so a failure at any point (a killed connection mid-COPY
 * included) leaves the target as it was: replace and fail build a staging table and swap it in by rename; append
 * and upsert COPY into a temp staging table and insert from it (append records itself in `_pw_loads`).
 */
export async function loadTable(client: pg.Client, spec: LoadSpec): Promise<LoadResult> {
  await client.query('BEGIN');
  try {
    await ensureSchema(client, spec.schema);
    const existing = await targetColumns(client, spec.schema, spec.table);
    const result = spec.mode === 'replace' || spec.mode === 'fail'
      ? await replaceTable(client, spec, existing)
      : await mergeIntoTable(client, spec, existing);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined); // the connection may be gone; the first error is the one to report
    throw error;
  }
}

async function replaceTable(client: pg.Client, spec: LoadSpec, existing: TargetColumn[] | undefined): Promise<LoadResult> {
  const target = qualifiedName(spec.schema, spec.table);
  if (existing && spec.mode === 'fail') {
    throw new UserError(`${spec.schema}.${spec.table} already exists and mode is fail: choose replace, append or upsert`, { ...spec.place, path: 'config.mode' });
  }
  // A name of our own, not derived from the table's, so it never collides or exceeds 63 bytes; the transaction hides it.
  const staging = `_pw_stage_${randomBytes(6).toString('hex')}`;
  const stagingRef = qualifiedName(spec.schema, staging);
  await client.query(`CREATE TABLE ${stagingRef} (${columnDefinitions(spec.columns)})`);
  const copied = checkCount(await copyCsvIn(client, `${stagingRef} (${columnList(spec.columns)})`, spec.csv, spec.onBytes), spec);
  // Readers keep seeing the old table until COMMIT; DROP waits for them, then the renamed staging table appears.
  if (existing) await client.query(`DROP TABLE ${target}`);
  await client.query(`ALTER TABLE ${stagingRef} RENAME TO ${quoteIdent(spec.table)}`);
  return { copied, written: copied, wasAlreadyLoaded: false };
}

async function mergeIntoTable(client: pg.Client, spec: LoadSpec, existing: TargetColumn[] | undefined): Promise<LoadResult> {
  const target = qualifiedName(spec.schema, spec.table);
  if (spec.mode === 'append' && (await wasAppended(client, spec))) {
    spec.log(`an earlier attempt of run ${spec.runId} already appended to ${spec.schema}.${spec.table}: not appending again`);
    return { copied: 0, written: 0, wasAlreadyLoaded: true };
  }
  if (!existing) {
    const primaryKey = spec.mode === 'upsert' ? `, PRIMARY KEY (${spec.key.map(quoteIdent).join(', ')})` : '';
    await client.query(`CREATE TABLE ${target} (${columnDefinitions(spec.columns)}${primaryKey})`);
  } else {
    await reconcileSchema(client, spec, existing);
  }
  const staging = quoteIdent(`_pw_stage_${randomBytes(6).toString('hex')}`);
  // Shaped like the target, so a value that does not fit fails during COPY, naming its column and line.
  await client.query(`CREATE TEMP TABLE ${staging} (LIKE ${target} INCLUDING DEFAULTS) ON COMMIT DROP`);
  const columns = columnList(spec.columns);
  const copied = checkCount(await copyCsvIn(client, `${staging} (${columns})`, spec.csv, spec.onBytes), spec);
  const written = spec.mode === 'append'
    ? (await client.query(`INSERT INTO ${target} (${columns}) SELECT ${columns} FROM ${staging}`)).rowCount ?? 0
    : await upsert(client, spec, target, staging);
  if (spec.mode === 'append') {
    await client.query(`INSERT INTO ${qualifiedName(spec.schema, LEDGER)} (run_id, block_id, target_table, row_count) VALUES ($1, $2, $3, $4)`, [
      spec.runId, spec.blockId, spec.table, written,
    ]);
  }
  return { copied, written, wasAlreadyLoaded: false };
}

/** Set-based upsert; within one load the last row of a key wins (Postgres refuses to update a row twice). */
async function upsert(client: pg.Client, spec: LoadSpec, target: string, staging: string): Promise<number> {
  const columns = columnList(spec.columns);
  const keys = spec.key.map(quoteIdent).join(', ');
  const others = spec.columns.filter((c) => !spec.key.includes(c.name)).map((c) => `${quoteIdent(c.name)} = EXCLUDED.${quoteIdent(c.name)}`);
  const action = others.length ? `DO UPDATE SET ${others.join(', ')}` : 'DO NOTHING';
  const sql = `INSERT INTO ${target} (${columns}) SELECT DISTINCT ON (${keys}) ${columns} FROM ${staging} ORDER BY ${keys}, ctid DESC ON CONFLICT (${keys}) ${action}`;
  try {
    return (await client.query(sql)).rowCount ?? 0;
  } catch (error) {
    if ((error as { code?: string }).code === '42P10') {
      throw new UserError(`${spec.schema}.${spec.table} has no unique index or primary key on (${spec.key.join(', ')}): add one, or change config.key`, { ...spec.place, path: 'config.key' }, { cause: error });
    }
    throw error;
  }
}

async function wasAppended(client: pg.Client, spec: LoadSpec): Promise<boolean> {
  const ledger = qualifiedName(spec.schema, LEDGER);
  await client.query(`CREATE TABLE IF NOT EXISTS ${ledger} (run_id text NOT NULL, block_id text NOT NULL, target_table text NOT NULL,
    row_count bigint NOT NULL, loaded_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (run_id, block_id, target_table))`);
  const found = await client.query(`SELECT 1 FROM ${ledger} WHERE run_id = $1 AND block_id = $2 AND target_table = $3`, [spec.runId, spec.blockId, spec.table]);
  return (found.rowCount ?? 0) > 0;
}

/** Applies the schema-drift policy to an existing target: fail with the differences, or add the new columns. */
async function reconcileSchema(client: pg.Client, spec: LoadSpec, existing: TargetColumn[]): Promise<void> {
  const drift = findDrift(spec.columns, existing);
  const place = { ...spec.place, path: 'config.on_schema_change' };
  if (spec.onSchemaChange === 'fail' && drift.text) {
    throw new UserError(`${spec.schema}.${spec.table} differs from the block's output (${drift.text}); set on_schema_change: add_columns, or use mode replace`, place);
  }
  for (const column of drift.added) {
    await client.query(`ALTER TABLE ${qualifiedName(spec.schema, spec.table)} ADD COLUMN ${quoteIdent(column.name)} ${column.pgType}`);
    spec.log(`added column ${column.name} ${column.pgType} to ${spec.schema}.${spec.table}`);
  }
}

async function ensureSchema(client: pg.Client, schema: string): Promise<void> {
  // Checked first: CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the schema exists.
  const found = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
  if (found.rowCount === 0) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
}

/** The target's columns in order with their types as format_type names them, or undefined when there is no table. */
async function targetColumns(client: pg.Client, schema: string, table: string): Promise<TargetColumn[] | undefined> {
  const result = await client.query<{ name: string; type: string; kind: string }>(
    `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, c.relkind AS kind
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      WHERE n.nspname = $1 AND c.relname = $2 ORDER BY a.attnum`,
    [schema, table],
  );
  if (result.rows.length === 0) return undefined;
  const kind = result.rows[0]?.kind;
  if (kind !== 'r' && kind !== 'p') throw new UserError(`${schema}.${table} exists but is not a table (relkind ${kind}): choose another name`);
  return result.rows.map((r) => ({ name: r.name, type: r.type }));
}

/** Rows loaded must equal rows read: checked inside the transaction, so a mismatch leaves the target untouched. */
function checkCount(copied: number, spec: LoadSpec): number {
  if (copied !== spec.expectedRows) throw new Error(`COPY loaded ${copied} rows but the block's input has ${spec.expectedRows}; nothing was written`);
  return copied;
}

function columnDefinitions(columns: ExportColumn[]): string {
  return columns.map((c) => `${quoteIdent(c.name)} ${c.pgType}`).join(', ');
}

function columnList(columns: ExportColumn[]): string {
  return columns.map((c) => quoteIdent(c.name)).join(', ');
}
