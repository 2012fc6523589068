import {
  BIGINT, BOOLEAN, DOUBLE, DuckDBDataChunk, DuckDBTimestampValue, TIMESTAMP, VARCHAR,
  type DuckDBConnection, type DuckDBType, type DuckDBValue,
} from '@duckdb/node-api';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { CancelledError, UserError } from '../model/errors.ts';
import { quoteIdent } from './sql-names.ts';
import { jsonSafe } from './arrow-convert.ts';

/** One column to write: its DuckDB type and a reader of rows [start, end) as DuckDB values. */
export interface AppendColumn {
  name: string;
  type: DuckDBType;
  read(start: number, end: number): DuckDBValue[];
}

/** DuckDB's vector size: the appender takes data chunks of at most this many rows. */
const CHUNK_ROWS = 2048;
/** Appending is synchronous: let the event loop run (and cancellation arrive) every this many chunks. */
const CHUNKS_PER_YIELD = 32;

/**
 * Creates (or replaces) `schema.table` with `columns` and appends `rowCount` rows through the appender, one data
 * chunk at a time, in one transaction: readers see the whole table or the previous one. `shouldStop` is asked
 * between batches of chunks; when it says yes the write is rolled back with a CancelledError.
 */
export async function createAndAppend(
  conn: DuckDBConnection, schema: string, table: string, columns: AppendColumn[], rowCount: number, shouldStop: () => boolean = () => false,
): Promise<void> {
  checkColumnNames(columns.map((c) => c.name));
  const definition = columns.map((c) => `${quoteIdent(c.name)} ${String(c.type)}`).join(', ');
  await conn.run('BEGIN TRANSACTION');
  try {
    await conn.run(`CREATE OR REPLACE TABLE ${quoteIdent(schema)}.${quoteIdent(table)} (${definition})`);
    const appender = await conn.createAppender(table, schema);
    try {
      const types = columns.map((c) => c.type);
      for (let start = 0, chunks = 1; start < rowCount; start += CHUNK_ROWS, chunks++) {
        if (chunks % CHUNKS_PER_YIELD === 0) {
          await yieldToEventLoop();
          if (shouldStop()) throw new CancelledError('the output write was cancelled');
        }
        const end = Math.min(rowCount, start + CHUNK_ROWS);
        const chunk = DuckDBDataChunk.create(types, end - start);
        chunk.setColumns(columns.map((c) => c.read(start, end)));
        appender.appendDataChunk(chunk);
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
    await conn.run('COMMIT');
  } catch (error) {
    await conn.run('ROLLBACK').catch(() => undefined); // the transaction may already be aborted; the first error is the one to report
    throw error;
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

type InferredKind = 'integer' | 'double' | 'bigint' | 'string' | 'boolean' | 'date' | 'json' | 'null' | 'mixed';

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
    return {
      name,
      type,
      read: (start, end) => rows.slice(start, end).map((row, k) => {
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
    case 'number': return Number.isSafeInteger(value) ? 'integer' : 'double';
    case 'bigint': return 'bigint';
    case 'string': return 'string';
    case 'boolean': return 'boolean';
    case 'object': return value instanceof Date ? 'date' : 'json';
    default: return 'mixed';
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
    case 'integer': case 'bigint': return { type: BIGINT, convert: (v) => BigInt(v as number | bigint) };
    case 'double': return { type: DOUBLE, convert: (v) => Number(v) };
    case 'boolean': return { type: BOOLEAN, convert: (v) => v as boolean };
    case 'date': return { type: TIMESTAMP, convert: (v, row) => timestampOf(v as Date, column, row) };
    case 'json': return { type: VARCHAR, convert: (v) => JSON.stringify(v, jsonSafe) };
    case 'string': case 'null': return { type: VARCHAR, convert: (v) => v as string };
    case 'mixed': return { type: VARCHAR, convert: (v) => (typeof v === 'object' ? JSON.stringify(v, jsonSafe) : String(v)) };
  }
}

function timestampOf(date: Date, column: string, row: number): DuckDBTimestampValue {
  const ms = date.getTime();
  if (Number.isNaN(ms)) throw new UserError(`row ${row + 1}, column ${column}: invalid Date`);
  return new DuckDBTimestampValue(BigInt(ms) * 1000n);
}
