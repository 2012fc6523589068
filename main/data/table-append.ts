import {
  BIGINT,
  BOOLEAN,
  DOUBLE,
  DuckDBDataChunk,
  DuckDBTimestampValue,
  TIMESTAMP,
  VARCHAR,
  type DuckDBConnection,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import duckdb from '@duckdb/node-bindings';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { CancelledError, UserError } from '../model/errors.ts';
import { quoteIdent } from './sql-names.ts';
import { jsonSafe } from './arrow-convert.ts';
import type { VectorWriter } from './vector-write.ts';
import { rowsVectorWriter, type RowsKind } from './rows-write.ts';

/**
 * One column to write: its DuckDB type and a reader of rows [start, end) as DuckDB values, or (`write`, the fast
 * path) a writer of those rows straight into a data chunk's vector.
 */
export interface AppendColumn {
  name: string;
  type: DuckDBType;
  read(start: number, end: number): DuckDBValue[];
  write?: VectorWriter;
}

/** DuckDB's vector size: the appender takes data chunks of at most this many rows. */
const CHUNK_ROWS = 2048;
/** Appending is synchronous: let the event loop run (and cancellation arrive) every this many chunks. */
const CHUNKS_PER_YIELD = 32;

/**
 * Creates (or replaces) `schema.table` with `columns` and appends `rowCount` rows through the appender, one data
 * chunk at a time, in one transaction: readers see the whole table or the previous one. `shouldStop` is asked
 * between batches of chunks; when it says yes the write is rolled back with a CancelledError. `isPrivate` as for
 * createAndAppendBatches: the rows then commit in slices of ROWS_PER_COMMIT, so DuckDB need not hold them all.
 */
export async function createAndAppend(
  conn: DuckDBConnection,
  schema: string,
  table: string,
  columns: AppendColumn[],
  rowCount: number,
  shouldStop: () => boolean = () => false,
  isPrivate = false,
): Promise<void> {
  const batches = isPrivate ? slices(columns, rowCount) : oneBatch({ columns, rowCount });
  await createAndAppendBatches(conn, schema, table, batches, shouldStop, isPrivate);
}

async function* oneBatch(batch: AppendBatch): AsyncGenerator<AppendBatch> {
  yield batch;
}

/**
 * Rows a private table commits at a time: at least one DuckDB row group (122,880 rows), so DuckDB writes whole row
 * groups to the database file as it goes instead of each small commit to its WAL (for 5M taxi rows through a
 * TypeScript block, 25% less CPU than committing every 16k rows; the same peak RSS within noise).
 */
const ROWS_PER_COMMIT = 131_072;

/** Whole columns as batches of ROWS_PER_COMMIT rows (at least one, so an empty output still gets its columns). */
async function* slices(columns: AppendColumn[], rowCount: number): AsyncGenerator<AppendBatch> {
  for (let offset = 0; offset === 0 || offset < rowCount; offset += ROWS_PER_COMMIT) {
    const shift = (column: AppendColumn): AppendColumn => {
      const { write } = column;
      return {
        name: column.name,
        type: column.type,
        read: (start, end) => column.read(offset + start, offset + end),
        ...(write ? { write: (target, start, end) => write(target, offset + start, offset + end) } : {}),
      };
    };
    // Each slice spans several yields of appendChunks, so cancellation still arrives every CHUNKS_PER_YIELD chunks.
    yield { columns: offset === 0 ? columns : columns.map(shift), rowCount: Math.min(ROWS_PER_COMMIT, rowCount - offset) };
  }
}

/** Rows to append, as columns of one batch. */
export interface AppendBatch {
  columns: AppendColumn[];
  rowCount: number;
}

/**
 * Like createAndAppend, for rows that arrive in batches (a TypeScript block's record batches): the table is created
 * from the first batch's columns, every later batch must have the same names and types, and only one batch is held
 * at a time. Resolves to the rows written. One transaction (readers see all of it or the previous table), unless
 * `isPrivate` says no reader can see the table until the caller publishes it: then the rows commit every
 * ROWS_PER_COMMIT as they are appended, so DuckDB can write them out instead of holding every uncommitted row
 * (~260 MB more for 5M taxi rows), and a failure drops the table.
 */
export async function createAndAppendBatches(
  conn: DuckDBConnection,
  schema: string,
  table: string,
  batches: AsyncIterable<AppendBatch>,
  shouldStop: () => boolean = () => false,
  isPrivate = false,
): Promise<number> {
  const name = `${quoteIdent(schema)}.${quoteIdent(table)}`;
  if (!isPrivate) await conn.run('BEGIN TRANSACTION');
  let appender: Awaited<ReturnType<DuckDBConnection['createAppender']>> | undefined;
  try {
    let first: AppendColumn[] | undefined;
    let rows = 0;
    let committed = 0;
    let index = 0;
    for await (const batch of batches) {
      if (shouldStop()) throw new CancelledError('the output write was cancelled');
      if (!first) {
        first = batch.columns;
        checkColumnNames(first.map((c) => c.name));
        const definition = first.map((c) => `${quoteIdent(c.name)} ${String(c.type)}`).join(', ');
        await conn.run(`CREATE OR REPLACE TABLE ${name} (${definition})`);
        appender = await conn.createAppender(table, schema);
      } else checkSameColumns(first, batch.columns, index);
      await appendChunks(appender as NonNullable<typeof appender>, batch, shouldStop);
      rows += batch.rowCount;
      if (isPrivate && rows - committed >= ROWS_PER_COMMIT) {
        appender?.flushSync();
        committed = rows;
      }
      index++;
    }
    if (!appender) throw new UserError('the block produced no batch, so no columns: yield at least one (it may have no rows)');
    appender.flushSync();
    appender.closeSync();
    appender = undefined;
    if (!isPrivate) await conn.run('COMMIT');
    return rows;
  } catch (error) {
    appender?.closeSync();
    // The first error is the one to report: the transaction may already be aborted, the table never created.
    if (!isPrivate) await conn.run('ROLLBACK').catch(() => undefined);
    else await conn.run(`DROP TABLE IF EXISTS ${name}`).catch(() => undefined);
    throw error;
  }
}

/** Appends one batch a data chunk at a time, yielding to the event loop (and checking for a stop) every 32 chunks. */
async function appendChunks(
  appender: { appendDataChunk(chunk: DuckDBDataChunk): void },
  batch: AppendBatch,
  shouldStop: () => boolean,
): Promise<void> {
  const types = batch.columns.map((c) => c.type);
  for (let start = 0, chunks = 1; start < batch.rowCount; start += CHUNK_ROWS, chunks++) {
    if (chunks % CHUNKS_PER_YIELD === 0) {
      await yieldToEventLoop();
      if (shouldStop()) throw new CancelledError('the output write was cancelled');
    }
    const end = Math.min(batch.rowCount, start + CHUNK_ROWS);
    const chunk = DuckDBDataChunk.create(types, end - start);
    batch.columns.forEach((column, i) => {
      if (column.write) column.write(duckdb.data_chunk_get_vector(chunk.chunk, i), start, end);
      else chunk.setColumnValues(i, column.read(start, end));
    });
    appender.appendDataChunk(chunk);
  }
}

/** A later batch must match the first one's columns: the table was created from it. */
function checkSameColumns(first: AppendColumn[], columns: AppendColumn[], index: number): void {
  const describe = (cols: AppendColumn[]) => cols.map((c) => `${c.name} ${String(c.type)}`).join(', ');
  if (describe(first) !== describe(columns)) {
    throw new UserError(
      `batch ${index + 1} has columns (${describe(columns)}), unlike the first batch (${describe(first)}): every batch must have the same columns`,
    );
  }
}

function checkColumnNames(names: string[]): void {
  if (names.length === 0) throw new UserError('the output has no columns: return at least one column');
  const seen = new Set<string>();
  for (const name of names) {
    const key = name.toLowerCase(); // DuckDB column names are case-insensitive
    if (name === '') throw new UserError('an output column has an empty name: name every column');
    if (seen.has(key)) throw new UserError(`two output columns are named "${name}" (names are case-insensitive): rename one`);
    seen.add(key);
  }
}

type InferredKind = RowsKind;

/**
 * Columns for plain JS rows, types inferred from the values (first-seen column order): integers → BIGINT, other
 * numbers → DOUBLE, bigint → BIGINT, string → VARCHAR, boolean → BOOLEAN, Date → TIMESTAMP, objects and arrays →
 * JSON text (VARCHAR), all-null → VARCHAR; a column mixing kinds becomes VARCHAR text.
 */
export function rowsToAppendColumns(rows: readonly Record<string, unknown>[]): AppendColumn[] {
  const kinds = new Map<string, InferredKind>();
  for (const row of rows) {
    for (const [name, value] of Object.entries(row)) kinds.set(name, mergeKinds(kinds.get(name) ?? 'null', kindOf(value)));
  }
  return [...kinds].map(([name, kind]) => {
    const { type, convert } = converterFor(kind, name);
    const write = rowsVectorWriter(rows, name, kind, convert);
    return {
      name,
      type,
      ...(write ? { write } : {}),
      read: (start, end) =>
        rows.slice(start, end).map((row, k) => {
          const value = row[name];
          return value === null || value === undefined ? null : convert(value, start + k);
        }),
    };
  });
}

function kindOf(value: unknown): InferredKind {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    // Past 2^53 a number is no longer an exact integer: DOUBLE says so honestly.
    case 'number':
      return Number.isSafeInteger(value) ? 'integer' : 'double';
    case 'bigint':
      return 'bigint';
    case 'string':
      return 'string';
    case 'boolean':
      return 'boolean';
    case 'object':
      return value instanceof Date ? 'date' : 'json';
    default:
      return 'mixed';
  }
}

function mergeKinds(a: InferredKind, b: InferredKind): InferredKind {
  if (a === b || b === 'null') return a;
  if (a === 'null') return b;
  const numeric = new Set<InferredKind>([a, b]);
  if ([...numeric].every((k) => k === 'integer' || k === 'bigint')) return 'bigint';
  if ([...numeric].every((k) => k === 'integer' || k === 'bigint' || k === 'double')) return 'double';
  return 'mixed';
}

function converterFor(kind: InferredKind, column: string): { type: DuckDBType; convert: (v: unknown, row: number) => DuckDBValue } {
  switch (kind) {
    case 'integer':
    case 'bigint':
      return { type: BIGINT, convert: (v) => BigInt(v as number | bigint) };
    case 'double':
      return { type: DOUBLE, convert: (v) => Number(v) };
    case 'boolean':
      return { type: BOOLEAN, convert: (v) => v as boolean };
    case 'date':
      return { type: TIMESTAMP, convert: (v, row) => timestampOf(v as Date, column, row) };
    case 'json':
      return { type: VARCHAR, convert: (v) => JSON.stringify(v, jsonSafe) };
    case 'string':
    case 'null':
      return { type: VARCHAR, convert: (v) => v as string };
    case 'mixed':
      return { type: VARCHAR, convert: (v) => (typeof v === 'object' ? JSON.stringify(v, jsonSafe) : String(v)) };
  }
}

function timestampOf(date: Date, column: string, row: number): DuckDBTimestampValue {
  const ms = date.getTime();
  if (Number.isNaN(ms)) throw new UserError(`row ${row + 1}, column ${column}: invalid Date`);
  return new DuckDBTimestampValue(BigInt(ms) * 1000n);
}
