import duckdb from '@duckdb/node-bindings';
import type { DuckDBTimestampValue, DuckDBValue } from '@duckdb/node-api';
import { UserError } from '../model/errors.ts';
import { canCopyBuffers } from './vector-read.ts';
import type { VectorWriter } from './vector-write.ts';

/** The kind rowsToAppendColumns inferred for a column of plain JS rows. */
export type RowsKind = 'integer' | 'double' | 'bigint' | 'string' | 'boolean' | 'date' | 'json' | 'null' | 'mixed';

/** One value as the value-by-value path converts it (row is the row's index, for messages). */
type Convert = (value: unknown, row: number) => DuckDBValue;

/**
 * The fast writer of one column of plain JS rows: values go into a typed array of DuckDB's layout (numbers, booleans,
 * dates) or are assigned as strings, and the NULLs are set once per chunk: no DuckDB value object per row.
 */
export function rowsVectorWriter(
  rows: readonly Record<string, unknown>[],
  name: string,
  kind: RowsKind,
  convert: Convert,
): VectorWriter | undefined {
  if (!canCopyBuffers) return undefined;
  const fill = fillerFor(kind, name, convert);
  return (target, start, end) => {
    let nulls: Uint8Array | undefined;
    const present: number[] = [];
    for (let row = start; row < end; row++) {
      const value = rows[row]?.[name];
      if (value !== null && value !== undefined) present.push(row);
      else {
        nulls ??= new Uint8Array(Math.ceil((end - start) / 64) * 8).fill(0xff);
        nulls[(row - start) >> 3]! &= ~(1 << ((row - start) & 7));
      }
    }
    fill(target, present, start, end);
    if (nulls) {
      duckdb.vector_ensure_validity_writable(target);
      duckdb.copy_data_to_vector_validity(target, 0, nulls.buffer as ArrayBuffer, 0, nulls.byteLength);
    }
  };

  /** Writes the rows listed in `present` (none NULL) of the chunk [start, end). */
  function fillerFor(kind: RowsKind, name: string, convert: Convert) {
    const value = (row: number) => rows[row]![name];
    const copy = (target: duckdb.Vector, out: ArrayBufferView) =>
      duckdb.copy_data_to_vector(target, 0, out.buffer as ArrayBuffer, out.byteOffset, out.byteLength);
    switch (kind) {
      case 'integer':
        return (target: duckdb.Vector, present: number[], start: number, end: number) => {
          // Safe integers as two's-complement 32-bit halves: exact (division by 2^32 is), and no bigint per value.
          const out = new Int32Array((end - start) * 2);
          for (const row of present) {
            const n = value(row) as number;
            const high = Math.floor(n / 4_294_967_296);
            out[2 * (row - start)] = n - high * 4_294_967_296;
            out[2 * (row - start) + 1] = high;
          }
          copy(target, out);
        };
      case 'bigint':
        return (target: duckdb.Vector, present: number[], start: number, end: number) => {
          const out = new BigInt64Array(end - start);
          for (const row of present) {
            const n = convert(value(row), row) as bigint;
            if (BigInt.asIntN(64, n) !== n) throw new UserError(`row ${row + 1}, column ${name}: ${n} does not fit BIGINT`);
            out[row - start] = n;
          }
          copy(target, out);
        };
      case 'double':
        return (target: duckdb.Vector, present: number[], start: number, end: number) => {
          const out = new Float64Array(end - start);
          for (const row of present) out[row - start] = Number(value(row));
          copy(target, out);
        };
      case 'boolean':
        return (target: duckdb.Vector, present: number[], start: number, end: number) => {
          const out = new Uint8Array(end - start);
          for (const row of present) out[row - start] = value(row) ? 1 : 0;
          copy(target, out);
        };
      case 'date':
        return (target: duckdb.Vector, present: number[], start: number, end: number) => {
          const out = new BigInt64Array(end - start);
          for (const row of present) out[row - start] = (convert(value(row), row) as DuckDBTimestampValue).micros;
          copy(target, out);
        };
      default:
        // Strings, and objects or mixed kinds as the text the value-by-value path makes of them.
        return (target: duckdb.Vector, present: number[], start: number) => {
          for (const row of present) duckdb.vector_assign_string_element(target, row - start, convert(value(row), row) as string);
        };
    }
  }
}
