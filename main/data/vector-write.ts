import duckdb from '@duckdb/node-bindings';
import { DataType, DateUnit, TimeUnit, type Data, type Vector } from 'apache-arrow';
import { isUtf8 } from 'node:buffer';
import { endianness } from 'node:os';
import { UserError } from '../model/errors.ts';

/**
 * Writes rows [start, end) of an Arrow column straight into a DuckDB data chunk's vector (row `start` lands in row 0):
 * buffers are copied whole where Arrow and DuckDB lay values out alike (ints, floats, DATE, TIME and TIMESTAMP in µs),
 * converted in typed arrays where they do not, and strings are handed over as UTF-8 bytes: no JS value per row.
 */
export type VectorWriter = (target: duckdb.Vector, start: number, end: number) => void;

/** Writes rows [from, to) of one Arrow data piece into the vector from row `at`; nulls are written separately. */
type PieceWriter = (target: duckdb.Vector, data: Data, from: number, to: number, at: number) => void;

/**
 * The fast writer of an Arrow column for the DuckDB type that arrowToAppendColumns chose, or undefined where the
 * column goes value by value (nested types, decimals wider than 18 digits, dictionaries of other than strings…).
 * `decimal` is set when a Float64 column goes back to the DECIMAL it was read from.
 */
export function vectorWriterFor(column: Vector, name: string, decimal?: { precision: number; scale: number }): VectorWriter | undefined {
  // Buffers are copied as they are: only where DuckDB's byte order is Arrow's (little-endian, every platform we ship).
  if (endianness() !== 'LE') return undefined;
  // A NULL entry in a dictionary would need a NULL per row that points at it: the value-by-value path writes those.
  if (column.data.some((data) => (data.dictionary?.nullCount ?? 0) > 0)) return undefined;
  const type = column.type as DataType;
  const piece = decimal ? DataType.isFloat(type) && type.precision !== 0 && decimalFromFloat(name, decimal) : pieceWriterFor(type, name);
  if (!piece) return undefined;
  const starts = pieceStarts(column);
  return (target, start, end) => {
    const nulls = new NullMask(end - start);
    // The piece holding `start`, then the following ones while they overlap [start, end).
    let i = Math.max(0, upperBound(starts, start) - 1);
    for (; i < column.data.length && starts[i]! < end; i++) {
      const data = column.data[i]!;
      const from = Math.max(start, starts[i]!) - starts[i]!;
      const to = Math.min(end, starts[i]! + data.length) - starts[i]!;
      if (from >= to) continue;
      const at = starts[i]! + from - start;
      piece(target, data, from, to, at);
      nulls.collect(data, from, to, at);
    }
    nulls.writeTo(target);
  };
}

function pieceWriterFor(type: DataType, name: string): PieceWriter | undefined {
  if (DataType.isInt(type)) return copyValues(type.bitWidth / 8);
  if (DataType.isFloat(type)) return type.precision === 0 ? undefined : copyValues(type.precision === 2 ? 8 : 4);
  if (DataType.isBool(type)) return boolBytes;
  if (DataType.isUtf8(type)) return utf8Strings;
  if (DataType.isBinary(type)) return binaryStrings;
  if (DataType.isDate(type))
    return type.unit === DateUnit.DAY ? copyValues(4) : converted(Int32Array, (v) => Math.floor(Number(v) / 86_400_000));
  if (DataType.isTimestamp(type) || DataType.isTime(type))
    return type.unit === TimeUnit.MICROSECOND && (DataType.isTimestamp(type) || type.bitWidth === 64)
      ? copyValues(8)
      : microsWriter(type.unit);
  if (DataType.isDictionary(type) && DataType.isUtf8(type.dictionary)) return dictionaryStrings(name);
  return undefined;
}

/** Where each data piece of a column starts, in rows. */
function pieceStarts(column: Vector): number[] {
  const starts: number[] = [];
  let at = 0;
  for (const data of column.data) {
    starts.push(at);
    at += data.length;
  }
  return starts;
}

/** Index of the first start greater than `row`. */
function upperBound(starts: number[], row: number): number {
  let lo = 0;
  let hi = starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (starts[mid]! <= row) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Values laid out as DuckDB lays them out: one copy. Arrow's value buffers start at the piece's first row. */
function copyValues(width: number): PieceWriter {
  return (target, data, from, to, at) => {
    const values = data.values as ArrayBufferView;
    duckdb.copy_data_to_vector(target, at * width, values.buffer as ArrayBuffer, values.byteOffset + from * width, (to - from) * width);
  };
}

type Numeric = number | bigint;
type OutArray = Int32Array | BigInt64Array | Uint8Array;

/** Values that need arithmetic: converted into a typed array of the DuckDB layout, then copied. */
function converted<A extends OutArray>(ArrayClass: { new (n: number): A }, convert: (v: Numeric) => A[number]): PieceWriter {
  return (target, data, from, to, at) => {
    const values = data.values as ArrayLike<Numeric>;
    const out = new ArrayClass(to - from);
    for (let k = from; k < to; k++) out[k - from] = convert(values[k]!);
    duckdb.copy_data_to_vector(target, at * out.BYTES_PER_ELEMENT, out.buffer as ArrayBuffer, out.byteOffset, out.byteLength);
  };
}

function microsWriter(unit: TimeUnit): PieceWriter {
  switch (unit) {
    case TimeUnit.SECOND:
      return converted(BigInt64Array, (v) => BigInt(v) * 1_000_000n);
    case TimeUnit.MILLISECOND:
      return converted(BigInt64Array, (v) => BigInt(v) * 1_000n);
    case TimeUnit.MICROSECOND:
      return converted(BigInt64Array, (v) => BigInt(v));
    case TimeUnit.NANOSECOND:
      return converted(BigInt64Array, (v) => {
        const nanos = BigInt(v);
        const q = nanos / 1_000n;
        return nanos % 1_000n !== 0n && nanos < 0n ? q - 1n : q; // floor, as DuckDB's epoch_us does
      });
  }
}

/** Arrow packs booleans in bits (indexed from the piece's offset); DuckDB keeps one byte each. */
const boolBytes: PieceWriter = (target, data, from, to, at) => {
  const bits = data.values as Uint8Array;
  const out = new Uint8Array(to - from);
  for (let k = from; k < to; k++) {
    const bit = data.offset + k;
    out[k - from] = (bits[bit >> 3]! >> (bit & 7)) & 1;
  }
  duckdb.copy_data_to_vector(target, at, out.buffer, 0, out.byteLength);
};

/** Each string's bytes assigned as they are, once the piece's bytes are known to be UTF-8 cut at character bounds. */
const utf8Strings: PieceWriter = (target, data, from, to, at) => {
  const offsets = data.valueOffsets as Int32Array;
  const bytes = data.values as Uint8Array;
  if (!isWholeUtf8(bytes, offsets, from, to)) return decodedStrings(target, data, from, to, at);
  for (let k = from; k < to; k++) {
    if (data.getValid(k)) duckdb.vector_assign_string_element_len(target, at + k - from, bytes.subarray(offsets[k]!, offsets[k + 1]!));
  }
};

const binaryStrings: PieceWriter = (target, data, from, to, at) => {
  const offsets = data.valueOffsets as Int32Array;
  const bytes = data.values as Uint8Array;
  for (let k = from; k < to; k++) {
    if (data.getValid(k)) duckdb.vector_assign_string_element_len(target, at + k - from, bytes.subarray(offsets[k]!, offsets[k + 1]!));
  }
};

/**
 * True when the strings' bytes are valid UTF-8 and every string starts on a character (not a continuation byte):
 * then each string on its own is valid UTF-8, as DuckDB requires of a VARCHAR.
 */
function isWholeUtf8(bytes: Uint8Array, offsets: Int32Array, from: number, to: number): boolean {
  if (!isUtf8(bytes.subarray(offsets[from]!, offsets[to]!))) return false;
  for (let k = from; k < to; k++) {
    const start = offsets[k]!;
    if (start < offsets[k + 1]! && (bytes[start]! & 0xc0) === 0x80) return false;
  }
  return true;
}

/** Bytes that are not UTF-8 go through Arrow's decoding, as the value-by-value path did (U+FFFD for bad bytes). */
const decodedStrings: PieceWriter = (target, data, from, to, at) => {
  const decoder = new TextDecoder();
  const offsets = data.valueOffsets as Int32Array;
  const bytes = data.values as Uint8Array;
  for (let k = from; k < to; k++) {
    if (data.getValid(k))
      duckdb.vector_assign_string_element(target, at + k - from, decoder.decode(bytes.subarray(offsets[k]!, offsets[k + 1]!)));
  }
};

/** Dictionary-encoded strings: the dictionary's entries are encoded (and checked) once, then each row points at one. */
function dictionaryStrings(name: string): PieceWriter {
  const entriesOf = new WeakMap<Vector, Uint8Array[]>();
  const encoder = new TextEncoder();
  return (target, data, from, to, at) => {
    const dictionary = data.dictionary as Vector;
    let entries = entriesOf.get(dictionary);
    if (!entries) {
      entries = Array.from({ length: dictionary.length }, (_, i) => encoder.encode(String(dictionary.get(i) ?? '')));
      entriesOf.set(dictionary, entries);
    }
    const keys = data.values as ArrayLike<Numeric>;
    for (let k = from; k < to; k++) {
      if (!data.getValid(k)) continue;
      const entry = entries[Number(keys[k])];
      if (!entry) throw new UserError(`row ${at + k - from + 1}, column ${name}: dictionary key ${keys[k]} has no entry`);
      duckdb.vector_assign_string_element_len(target, at + k - from, entry);
    }
  };
}

/**
 * A Float64 column going back to the DECIMAL(p ≤ 18, s) it was read from: rounded to the scale as integers of the
 * width DuckDB stores that precision in (16, 32 or 64 bits), without a bigint per value.
 */
function decimalFromFloat(name: string, { precision, scale }: { precision: number; scale: number }): PieceWriter | undefined {
  if (precision > 18) return undefined;
  const factor = 10 ** scale;
  const limit = 10 ** precision;
  const width = precision <= 4 ? 2 : precision <= 9 ? 4 : 8;
  return (target, data, from, to, at) => {
    const values = data.values as Float64Array;
    const out = new Int32Array(((to - from) * width + 3) >> 2);
    const halves = width === 2 ? new Int16Array(out.buffer) : undefined;
    for (let k = from; k < to; k++) {
      if (!data.getValid(k)) continue;
      const n = Math.round(values[k]! * factor);
      if (!(Math.abs(n) < limit)) {
        throw new UserError(`row ${at + k - from + 1}, column ${name}: ${values[k]} does not fit DECIMAL(${precision},${scale})`);
      }
      const i = k - from;
      if (halves) halves[i] = n;
      else if (width === 4) out[i] = n;
      else {
        // Two's complement in two 32-bit words, exact for integers below 2^63: the division by 2^32 is exact.
        const high = Math.floor(n / 4_294_967_296);
        out[2 * i] = n - high * 4_294_967_296;
        out[2 * i + 1] = high;
      }
    }
    duckdb.copy_data_to_vector(target, at * width, out.buffer, 0, (to - from) * width);
  };
}

/** The chunk's NULLs, gathered from Arrow's validity bitmaps; written only when there is one. */
class NullMask {
  private bits: Uint8Array | undefined;
  constructor(private readonly rows: number) {}

  collect(data: Data, from: number, to: number, at: number): void {
    if (data.nullCount === 0) return;
    for (let k = from; k < to; k++) {
      if (data.getValid(k)) continue;
      // DuckDB's validity is 64-bit words, least significant bit first: on little-endian machines, Arrow's byte order.
      this.bits ??= new Uint8Array(Math.ceil(this.rows / 64) * 8).fill(0xff);
      const row = at + k - from;
      this.bits[row >> 3]! &= ~(1 << (row & 7));
    }
  }

  writeTo(target: duckdb.Vector): void {
    if (!this.bits) return;
    duckdb.vector_ensure_validity_writable(target);
    duckdb.copy_data_to_vector_validity(target, 0, this.bits.buffer as ArrayBuffer, 0, this.bits.byteLength);
  }
}
