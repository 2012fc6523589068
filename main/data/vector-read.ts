import duckdb from '@duckdb/node-bindings';
import { makeData, type Binary, type Bool, type Data, type DataType, type Utf8 } from 'apache-arrow';
import { endianness } from 'node:os';

/**
 * Reads one DuckDB vector (a fetched chunk's column) straight into Arrow data: buffers copied whole where DuckDB and
 * Arrow lay values out alike, strings gathered as UTF-8 bytes: no JS value per row. DuckDB's fetched vectors are flat.
 */
export type VectorReader = (vector: duckdb.Vector, rows: number) => Data;

type FixedArrayClass = { new (buffer: ArrayBuffer, byteOffset: number, length: number): ArrayBufferView; BYTES_PER_ELEMENT: number };

/** Whether buffers can be copied as they are: DuckDB's byte order is Arrow's only on little-endian machines. */
export const canCopyBuffers = endianness() === 'LE';

/** A fixed-width column whose DuckDB values are already Arrow's (ints, floats, DATE, TIME and TIMESTAMP in µs). */
export function copiedReader(arrowType: DataType, ArrayClass: FixedArrayClass): VectorReader {
  const width = ArrayClass.BYTES_PER_ELEMENT;
  return (vector, rows) => {
    const bytes = duckdb.vector_get_data(vector, rows * width).slice(); // the chunk's memory is DuckDB's: copy it out
    const values = new ArrayClass(bytes.buffer, 0, rows);
    return makeData({ type: arrowType, length: rows, ...nullsOf(vector, rows), data: values } as never) as Data;
  };
}

/** BOOLEAN: one byte per value in DuckDB, one bit in Arrow. */
export function boolVectorReader(arrowType: Bool): VectorReader {
  return (vector, rows) => {
    const bytes = duckdb.vector_get_data(vector, rows);
    const bits = new Uint8Array(Math.ceil(rows / 8));
    for (let i = 0; i < rows; i++) if (bytes[i] !== 0) bits[i >> 3]! |= 1 << (i & 7);
    return makeData({ type: arrowType, length: rows, ...nullsOf(vector, rows), data: bits });
  };
}

/** The size of DuckDB's string_t: a 4-byte length, then 12 bytes inline or a 4-byte prefix and a pointer. */
const STRING_BYTES = 16;
const INLINE_BYTES = 12;

/** VARCHAR and BLOB: each value's bytes, read from DuckDB's string_t without decoding, into one Arrow buffer. */
export function stringVectorReader(arrowType: Utf8 | Binary): VectorReader {
  return (vector, rows) => {
    const nulls = nullsOf(vector, rows);
    const heads = duckdb.vector_get_data(vector, rows * STRING_BYTES);
    const view = new DataView(heads.buffer, heads.byteOffset, heads.byteLength);
    const parts: Uint8Array[] = new Array(rows);
    const valueOffsets = new Int32Array(rows + 1);
    let size = 0;
    for (let i = 0; i < rows; i++) {
      if (nulls.nullBitmap && (nulls.nullBitmap[i >> 3]! & (1 << (i & 7))) === 0) {
        valueOffsets[i + 1] = size;
        continue;
      }
      const at = i * STRING_BYTES;
      const length = view.getUint32(at, true);
      parts[i] =
        length <= INLINE_BYTES
          ? heads.subarray(at + 4, at + 4 + length)
          : duckdb.get_data_from_pointer(heads.buffer as ArrayBuffer, heads.byteOffset + at + 8, length);
      size += length;
      valueOffsets[i + 1] = size;
    }
    const data = new Uint8Array(size);
    for (let i = 0; i < rows; i++) {
      const part = parts[i];
      if (part) data.set(part, valueOffsets[i]!);
    }
    return makeData({ type: arrowType, length: rows, ...nulls, valueOffsets, data } as never) as Data;
  };
}

/** DuckDB's validity (64-bit words, least significant bit first) as an Arrow bitmap; none when nothing is NULL. */
function nullsOf(vector: duckdb.Vector, rows: number): { nullCount: number; nullBitmap?: Uint8Array } {
  const words = duckdb.vector_get_validity(vector, Math.ceil(rows / 64) * 8);
  if (!words) return { nullCount: 0 }; // DuckDB may leave out the mask when every value is valid
  const bitmap = words.slice(0, Math.ceil(rows / 8));
  let valid = 0;
  for (let i = 0; i < rows; i++) valid += (bitmap[i >> 3]! >> (i & 7)) & 1;
  return valid === rows ? { nullCount: 0 } : { nullCount: rows - valid, nullBitmap: bitmap };
}
