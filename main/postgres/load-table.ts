import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { UserError, type ErrorPlace } from '../model/errors.ts';
import { qualifiedName, quoteIdent } from '../data/sql-names.ts';
import type { ExportColumn } from './postgres-types.ts';
import { copyBinaryIn, copyCsvIn } from './copy-file.ts';
import type { CsvSource } from './csv-pipe.ts';
import { findDrift, type TargetColumn } from './schema-drift.ts';
import { addColumnSql, checkCount, columnList, createTableSql, ensureSchema, swapInSql, targetColumns } from './table-sql.ts';
import { replaceInParallel } from './parallel-replace.ts';
import { findLoad, recordLoad, type LoadKey } from './load-ledger.ts';
import { killPoint } from '../model/kill-point.ts';

export type LoadMode = 'replace' | 'append' | 'upsert' | 'fail';

export interface LoadSpec {
  schema: string;
  table: string;
  columns: ExportColumn[];
  /** CSV (no header) with the columns in `columns` order; unused when `binary` is set. */
  csv?: CsvSource;
  /** Binary COPY tuples (no header, no trailer) with the columns in `columns` order: loaded instead of `csv`. */
  binary?: AsyncIterable<Buffer>;
  mode: LoadMode;
  /** Rows the source has: COPY must report exactly this many, or the load rolls back. */
  expectedRows: number;
  /** Key columns of an upsert. */
  key: string[];
  onSchemaChange: 'fail' | 'add_columns';
  /** The append ledger's key (required by append): a retry, resume or "Retry failed blocks" of one logical load never appends twice. */
  loadKey?: LoadKey;
  place: ErrorPlace;
  /**
   * When set with connections > 1, replace and fail COPY over that many connections at once into a committed
   * staging table (see replaceInParallel); `connect` opens one more to the same server (the caller closes what it
   * opened, also on failure). Otherwise everything happens in one transaction on `client`.
   */
  parallel?: ParallelConnections;
  log(message: string): void;
  onBytes(done: number, total?: number): void;
}

/** How a parallel replace gets its connections. */
export interface ParallelConnections {
  connections: number;
  /** Opens one more connection to the server: for a COPY, or to drop the staging table after the others died or were cancelled. */
  connect(purpose: 'copy' | 'cleanup'): Promise<pg.Client>;
}

export interface LoadResult {
  /** Rows COPY loaded into staging (its command tag). */
  copied: number;
  /** Rows inserted, replaced or upserted into the target. */
  written: number;
  /** True when an earlier attempt, or the run this one resumes, already appended (nothing was loaded again). */
  wasAlreadyLoaded: boolean;
}

/**
 * Loads the CSV into schema.table in ONE transaction, so a failure at any point (a killed connection mid-COPY
 * included) leaves the target as it was: replace and fail build a staging table and swap it in by rename; append
 * and upsert COPY into a temp staging table and insert from it (append records itself in `_pw_loads`). With
 * `spec.parallel`, replace and fail load over several connections and swap in one transaction (replaceInParallel).
 */
export async function loadTable(client: pg.Client, spec: LoadSpec): Promise<LoadResult> {
  if ((spec.mode === 'replace' || spec.mode === 'fail') && spec.parallel && spec.parallel.connections > 1)
    return replaceInParallel(client, spec, spec.parallel);
  await client.query('BEGIN');
  try {
    await ensureSchema(client, spec.schema);
    const existing = await targetColumns(client, spec.schema, spec.table);
    const result =
      spec.mode === 'replace' || spec.mode === 'fail'
        ? await replaceTable(client, spec, existing)
        : await mergeIntoTable(client, spec, existing);
    if (!result.wasAlreadyLoaded) killPoint(`postgres.${spec.mode}.copied`);
    await client.query('COMMIT');
    killPoint(`postgres.${spec.mode}.committed`);
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined); // the connection may be gone; the first error is the one to report
    throw error;
  }
}

async function replaceTable(client: pg.Client, spec: LoadSpec, existing: TargetColumn[] | undefined): Promise<LoadResult> {
  const target = qualifiedName(spec.schema, spec.table);
  if (existing && spec.mode === 'fail') {
    throw new UserError(`${spec.schema}.${spec.table} already exists and mode is fail: choose replace, append or upsert`, {
      ...spec.place,
      path: 'config.mode',
    });
  }
  // A name of our own, not derived from the table's, so it never collides or exceeds 63 bytes; the transaction hides it.
  const staging = `_pw_stage_${randomBytes(6).toString('hex')}`;
  const stagingRef = qualifiedName(spec.schema, staging);
  await client.query(createTableSql(stagingRef, spec.columns));
  const copied = checkCount(await copyIn(client, `${stagingRef} (${columnList(spec.columns)})`, spec), spec.expectedRows);
  // Readers keep seeing the old table until COMMIT; DROP waits for them, then the renamed staging table appears.
  for (const sql of swapInSql(target, stagingRef, spec.table, existing !== undefined)) await client.query(sql);
  return { copied, written: copied, wasAlreadyLoaded: false };
}

/** COPYs the spec's binary tuples or CSV into `target`; resolves to the rows COPY loaded. */
function copyIn(client: pg.Client, target: string, spec: LoadSpec): Promise<number> {
  if (spec.binary) return copyBinaryIn(client, target, spec.binary, spec.onBytes);
  if (spec.csv) return copyCsvIn(client, target, spec.csv, spec.onBytes);
  throw new Error('a load needs binary tuples or CSV');
}

async function mergeIntoTable(client: pg.Client, spec: LoadSpec, existing: TargetColumn[] | undefined): Promise<LoadResult> {
  const target = qualifiedName(spec.schema, spec.table);
  const loadKey = spec.mode === 'append' ? keyOf(spec) : undefined;
  const earlier = loadKey ? await findLoad(client, spec.schema, spec.table, loadKey) : undefined;
  if (earlier) {
    const by =
      earlier.loadedByRun && earlier.loadedByRun !== loadKey?.runId ? `run ${earlier.loadedByRun}` : 'an earlier attempt of this run';
    const other =
      earlier.sourceId && earlier.sourceId !== loadKey?.sourceId
        ? ` (it loaded output ${earlier.sourceId}; the upstream's latest is now ${loadKey?.sourceId ?? '?'})`
        : '';
    spec.log(
      `${by} already appended ${earlier.rows.toLocaleString('en-US')} rows from this block to ${spec.schema}.${spec.table} at ${earlier.loadedAt.toISOString()}${other}: not appending again`,
    );
    return { copied: 0, written: earlier.rows, wasAlreadyLoaded: true };
  }
  if (!existing) {
    await client.query(createTableSql(target, spec.columns, spec.mode === 'upsert' ? spec.key : []));
  } else {
    await reconcileSchema(client, spec, existing);
  }
  const columns = columnList(spec.columns);
  if (spec.binary && spec.mode === 'append') {
    // Binary COPY straight into the target, inside this transaction (a failure or a wrong count rolls it all back):
    // the caller chose binary only where the target's columns have the output's types or are new, so every field fits
    // as it would in a staging table, and the rows are written once instead of twice.
    const copied = checkCount(await copyIn(client, `${target} (${columns})`, spec), spec.expectedRows);
    if (loadKey) await recordLoad(client, spec.schema, spec.table, loadKey, copied);
    return { copied, written: copied, wasAlreadyLoaded: false };
  }
  const staging = quoteIdent(`_pw_stage_${randomBytes(6).toString('hex')}`);
  // Shaped like the target, so a value that does not fit fails during COPY, naming its column and line.
  await client.query(`CREATE TEMP TABLE ${staging} (LIKE ${target} INCLUDING DEFAULTS) ON COMMIT DROP`);
  const copied = checkCount(await copyIn(client, `${staging} (${columns})`, spec), spec.expectedRows);
  const written =
    spec.mode === 'append'
      ? ((await client.query(`INSERT INTO ${target} (${columns}) SELECT ${columns} FROM ${staging}`)).rowCount ?? 0)
      : await upsert(client, spec, target, staging);
  if (loadKey) await recordLoad(client, spec.schema, spec.table, loadKey, written);
  return { copied, written, wasAlreadyLoaded: false };
}

function keyOf(spec: LoadSpec): LoadKey {
  if (!spec.loadKey) throw new Error('an append needs a load key (the ledger would not know it)');
  return spec.loadKey;
}

/** Set-based upsert; within one load the last row of a key wins (Postgres refuses to update a row twice). */
async function upsert(client: pg.Client, spec: LoadSpec, target: string, staging: string): Promise<number> {
  const columns = columnList(spec.columns);
  const keys = spec.key.map(quoteIdent).join(', ');
  const others = spec.columns
    .filter((c) => !spec.key.includes(c.name))
    .map((c) => `${quoteIdent(c.name)} = EXCLUDED.${quoteIdent(c.name)}`);
  const action = others.length ? `DO UPDATE SET ${others.join(', ')}` : 'DO NOTHING';
  const sql = `INSERT INTO ${target} (${columns}) SELECT DISTINCT ON (${keys}) ${columns} FROM ${staging} ORDER BY ${keys}, ctid DESC ON CONFLICT (${keys}) ${action}`;
  try {
    return (await client.query(sql)).rowCount ?? 0;
  } catch (error) {
    if ((error as { code?: string }).code === '42P10') {
      throw new UserError(
        `${spec.schema}.${spec.table} has no unique index or primary key on (${spec.key.join(', ')}): add one, or change config.key`,
        { ...spec.place, path: 'config.key' },
        { cause: error },
      );
    }
    throw error;
  }
}

/** Applies the schema-drift policy to an existing target: fail with the differences, or add the new columns. */
async function reconcileSchema(client: pg.Client, spec: LoadSpec, existing: TargetColumn[]): Promise<void> {
  const drift = findDrift(spec.columns, existing);
  const place = { ...spec.place, path: 'config.on_schema_change' };
  if (spec.onSchemaChange === 'fail' && drift.text) {
    throw new UserError(
      `${spec.schema}.${spec.table} differs from the block's output (${drift.text}); set on_schema_change: add_columns, or use mode replace`,
      place,
    );
  }
  for (const column of drift.added) {
    await client.query(addColumnSql(qualifiedName(spec.schema, spec.table), column));
    spec.log(`added column ${column.name} ${column.pgType} to ${spec.schema}.${spec.table}`);
  }
}
