import duckdb from '@duckdb/node-bindings';
import {
  BIGINT,
  BLOB,
  BOOLEAN,
  DATE,
  DECIMAL,
  DOUBLE,
  DuckDBBlobValue,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTimeValue,
  DuckDBTypeId,
  FLOAT,
  INTEGER,
  JsonDuckDBValueConverter,
  SMALLINT,
  TIME,
  TIMESTAMP,
  TIMESTAMPTZ,
  TINYINT,
  UBIGINT,
  UINTEGER,
  USMALLINT,
  UTINYINT,
  VARCHAR,
  type DuckDBResult,
  type DuckDBType,
  type DuckDBValue,
  type DuckDBValueConverter,
  type DuckDBVector,
  type Json,
} from '@duckdb/node-api';
import {
  Binary,
  Bool,
  DataType,
  DateDay,
  Field,
  Float32,
  Float64,
  Int16,
  Int32,
  Int64,
  Int8,
  RecordBatch,
  Schema,
  Struct,
  Table,
  TimeMicrosecond,
  Timestamp,
  TimestampMicrosecond,
  TimeUnit,
  Uint16,
  Uint32,
  Uint64,
  Uint8,
  Utf8,
  Vector,
  makeData,
  DateUnit,
  type Data,
} from 'apache-arrow';
import type { AppendColumn } from './table-append.ts';
import { boolVectorReader, canCopyBuffers, copiedReader, stringVectorReader, type VectorReader } from './vector-read.ts';
import { vectorWriterFor } from './vector-write.ts';

/** Arrow field metadata key holding the DuckDB type a column had (`DECIMAL(10,2)`, `HUGEINT`…). */
export const DUCKDB_TYPE_METADATA = 'duckdb_type';

/**
 * How one DuckDB column becomes Arrow: its Arrow type and a reader of one chunk's vector, either of its raw buffers
 * (`readRaw`, the fast path) or value by value (`read`).
 */
type ColumnReader = { arrowType: DataType } & ({ readRaw: VectorReader } | { read(vector: DuckDBVector): Data });

type FixedArray =
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;
type FixedArrayClass = { new (length: number): FixedArray };

/** Reads a whole DuckDB result (chunk by chunk, column-wise) into an Arrow table; NULLs are kept. */
export async function resultToArrow(result: DuckDBResult): Promise<Table> {
  const parts: Table[] = [];
  for await (const part of resultToArrowParts(result, Infinity)) parts.push(part);
  return parts[0] ?? new Table(arrowSchemaOf(result).schema);
}

/**
 * Reads a DuckDB result as Arrow tables of about `rowsPerPart` rows (each a few record batches of DuckDB's chunk
 * size, 2,048 rows), fetching the next chunks only when asked: memory holds one part. Yields at least one part
 * (empty when the result has no rows), so the schema always reaches the reader.
 */
export async function* resultToArrowParts(result: DuckDBResult, rowsPerPart: number): AsyncGenerator<Table> {
  const { schema, fields, readers } = arrowSchemaOf(result);
  let batches: RecordBatch[] = [];
  let rows = 0;
  let yielded = false;
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    const children = readers.map((reader, i) =>
      'readRaw' in reader
        ? reader.readRaw(duckdb.data_chunk_get_vector(chunk.chunk, i), chunk.rowCount)
        : reader.read(chunk.getColumnVector(i)),
    );
    batches.push(new RecordBatch(schema, makeData({ type: new Struct(fields), length: chunk.rowCount, nullCount: 0, children })));
    rows += chunk.rowCount;
    if (rows >= rowsPerPart) {
      yield new Table(schema, batches);
      yielded = true;
      batches = [];
      rows = 0;
    }
  }
  if (batches.length > 0 || !yielded) yield new Table(schema, batches);
}

/** The Arrow schema of a result; DuckDB's duplicate names (`select 1 a, 2 a`) become a, a:1, as Arrow looks fields up by name. */
function arrowSchemaOf(result: DuckDBResult): { schema: Schema; fields: Field[]; readers: ColumnReader[] } {
  const names = result.deduplicatedColumnNames();
  const types = result.columnTypes();
  const readers = types.map(readerFor);
  const fields = names.map((name, i) => new Field(name, readers[i]!.arrowType, true, new Map([[DUCKDB_TYPE_METADATA, String(types[i])]])));
  return { schema: new Schema(fields), fields, readers };
}

/**
 * The Arrow type a DuckDB column maps to. Lossy on purpose where Arrow JS has no good match:
 * DECIMAL → Float64 (display and arithmetic in JS; exact digits need SQL), HUGEINT/UHUGEINT → Utf8 (exact digits;
 * Float64 would round past 2^53), TIMESTAMP_S/_MS/_NS → microseconds (nanoseconds truncated), LIST/STRUCT/MAP/
 * ARRAY/UNION → Utf8 JSON text, UUID/INTERVAL/ENUM/TIME WITH TIME ZONE/BIT → Utf8 as DuckDB prints them.
 */
function readerFor(type: DuckDBType): ColumnReader {
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return canCopyBuffers ? { arrowType: new Bool(), readRaw: boolVectorReader(new Bool()) } : boolReader();
    case DuckDBTypeId.TINYINT:
      return sameLayout(new Int8(), Int8Array, (v) => v as number);
    case DuckDBTypeId.SMALLINT:
      return sameLayout(new Int16(), Int16Array, (v) => v as number);
    case DuckDBTypeId.INTEGER:
      return sameLayout(new Int32(), Int32Array, (v) => v as number);
    case DuckDBTypeId.BIGINT:
      return sameLayout(new Int64(), BigInt64Array, (v) => v as bigint);
    case DuckDBTypeId.UTINYINT:
      return sameLayout(new Uint8(), Uint8Array, (v) => v as number);
    case DuckDBTypeId.USMALLINT:
      return sameLayout(new Uint16(), Uint16Array, (v) => v as number);
    case DuckDBTypeId.UINTEGER:
      return sameLayout(new Uint32(), Uint32Array, (v) => v as number);
    case DuckDBTypeId.UBIGINT:
      return sameLayout(new Uint64(), BigUint64Array, (v) => v as bigint);
    case DuckDBTypeId.FLOAT:
      return sameLayout(new Float32(), Float32Array, (v) => v as number);
    case DuckDBTypeId.DOUBLE:
      return sameLayout(new Float64(), Float64Array, (v) => v as number);
    case DuckDBTypeId.DECIMAL:
      return fixedReader(new Float64(), Float64Array, (v) => (v as DuckDBDecimalValue).toDouble());
    case DuckDBTypeId.DATE:
      return sameLayout(new DateDay(), Int32Array, (v) => (v as DuckDBDateValue).days);
    case DuckDBTypeId.TIME:
      return sameLayout(new TimeMicrosecond(), BigInt64Array, (v) => (v as DuckDBTimeValue).micros);
    case DuckDBTypeId.TIMESTAMP:
      return sameLayout(new TimestampMicrosecond(), BigInt64Array, (v) => (v as { micros: bigint }).micros);
    case DuckDBTypeId.TIMESTAMP_S:
      return timestampReader((v) => (v as { seconds: bigint }).seconds * 1_000_000n);
    case DuckDBTypeId.TIMESTAMP_MS:
      return timestampReader((v) => (v as { millis: bigint }).millis * 1_000n);
    case DuckDBTypeId.TIMESTAMP_NS:
      return timestampReader((v) => floorDiv((v as { nanos: bigint }).nanos, 1_000n));
    case DuckDBTypeId.TIMESTAMP_TZ:
      return sameLayout(new Timestamp(TimeUnit.MICROSECOND, 'UTC'), BigInt64Array, (v) => (v as DuckDBTimestampTZValue).micros);
    case DuckDBTypeId.VARCHAR:
      return canCopyBuffers ? { arrowType: new Utf8(), readRaw: stringVectorReader(new Utf8()) } : textReader((v) => v as string);
    case DuckDBTypeId.BLOB:
      return canCopyBuffers
        ? { arrowType: new Binary(), readRaw: stringVectorReader(new Binary()) }
        : binaryReader((v) => (v as DuckDBBlobValue).bytes);
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.STRUCT:
    case DuckDBTypeId.MAP:
    case DuckDBTypeId.ARRAY:
    case DuckDBTypeId.UNION:
    case DuckDBTypeId.VARIANT:
      return textReader((v) => JSON.stringify(nestedJson(v, type, nestedJson)));
    default:
      return textReader((v) => String(v));
  }
}

/** DuckDB's JSON conversion, except that integers that fit a JS number stay numbers instead of strings. */
const nestedJson: DuckDBValueConverter<Json> = (value, type, converter) =>
  typeof value === 'bigint' ? (jsonSafe('', value) as Json) : JsonDuckDBValueConverter(value, type, converter);

/** A column DuckDB stores as Arrow does: its buffers copied (on little-endian machines), else value by value. */
function sameLayout<T extends number | bigint>(
  arrowType: DataType,
  ArrayClass: FixedArrayClass & { BYTES_PER_ELEMENT: number },
  convert: (v: DuckDBValue) => T,
): ColumnReader {
  return canCopyBuffers
    ? { arrowType, readRaw: copiedReader(arrowType, ArrayClass as never) }
    : fixedReader(arrowType, ArrayClass, convert);
}

function timestampReader(micros: (v: DuckDBValue) => bigint): ColumnReader {
  return fixedReader(new TimestampMicrosecond(), BigInt64Array, micros);
}

/** A fixed-width column: one typed array of values (0 under NULLs) and a validity bitmap. */
function fixedReader<T extends number | bigint>(
  arrowType: DataType,
  ArrayClass: FixedArrayClass,
  convert: (v: DuckDBValue) => T,
): ColumnReader {
  return {
    arrowType,
    read(vector) {
      const length = vector.itemCount;
      const values = new ArrayClass(length);
      const validity = new Validity(length);
      for (let i = 0; i < length; i++) {
        const item = vector.getItem(i);
        if (item === null) continue;
        validity.setValid(i);
        (values as unknown as { [i: number]: T })[i] = convert(item);
      }
      return makeData({ type: arrowType, length, ...validity.arrowProps(), data: values } as never) as Data;
    },
  };
}

function boolReader(): ColumnReader {
  const arrowType = new Bool();
  return {
    arrowType,
    read(vector) {
      const length = vector.itemCount;
      const bits = new Uint8Array(Math.ceil(length / 8));
      const validity = new Validity(length);
      for (let i = 0; i < length; i++) {
        const item = vector.getItem(i);
        if (item === null) continue;
        validity.setValid(i);
        if (item === true) bits[i >> 3]! |= 1 << (i & 7);
      }
      return makeData({ type: arrowType, length, ...validity.arrowProps(), data: bits });
    },
  };
}

function textReader(convert: (v: DuckDBValue) => string): ColumnReader {
  const encoder = new TextEncoder();
  return variableWidthReader(new Utf8(), (v) => encoder.encode(convert(v)));
}

function binaryReader(convert: (v: DuckDBValue) => Uint8Array): ColumnReader {
  return variableWidthReader(new Binary(), convert);
}

/** Utf8 and Binary columns: offsets into one byte buffer. */
function variableWidthReader(arrowType: Utf8 | Binary, toBytes: (v: DuckDBValue) => Uint8Array): ColumnReader {
  return {
    arrowType,
    read(vector) {
      const length = vector.itemCount;
      const parts: Uint8Array[] = [];
      const valueOffsets = new Int32Array(length + 1);
      const validity = new Validity(length);
      let size = 0;
      for (let i = 0; i < length; i++) {
        const item = vector.getItem(i);
        if (item !== null) {
          validity.setValid(i);
          const bytes = toBytes(item);
          parts.push(bytes);
          size += bytes.length;
        }
        valueOffsets[i + 1] = size;
      }
      const data = new Uint8Array(size);
      let at = 0;
      for (const part of parts) {
        data.set(part, at);
        at += part.length;
      }
      return makeData({ type: arrowType, length, ...validity.arrowProps(), valueOffsets, data } as never) as Data;
    },
  };
}

/** An Arrow validity bitmap being filled; omitted when nothing is NULL. */
class Validity {
  private readonly bits: Uint8Array;
  private valid = 0;
  constructor(private readonly length: number) {
    this.bits = new Uint8Array(Math.ceil(length / 8));
  }
  setValid(i: number): void {
    this.bits[i >> 3]! |= 1 << (i & 7);
    this.valid++;
  }
  arrowProps(): { nullCount: number; nullBitmap?: Uint8Array } {
    const nullCount = this.length - this.valid;
    return nullCount === 0 ? { nullCount } : { nullCount, nullBitmap: this.bits };
  }
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n ? q - 1n : q;
}

/**
 * The columns of an Arrow table as DuckDB columns to append. Types map back: ints → same-width ints, floats → FLOAT/
 * DOUBLE, Utf8 → VARCHAR, Bool → BOOLEAN, Date → DATE, Time → TIME, Timestamp → TIMESTAMP (TIMESTAMPTZ when it has a
 * time zone), Binary → BLOB, Decimal → DECIMAL (DOUBLE beyond 38 digits), dictionaries are decoded, and nested types
 * (List, Struct, Map…) become VARCHAR JSON text, as they come out of DuckDB.
 */
export function arrowToAppendColumns(table: Table): AppendColumn[] {
  return table.schema.fields.map((field, i) => {
    const vector = table.getChildAt(i) as Vector;
    const decimal = decimalFromMetadata(field);
    const { type, valueAt } = decimal ?? writerFor(field.type);
    const write = vectorWriterFor(vector, field.name, decimal?.digits);
    return {
      name: field.name,
      type,
      ...(write ? { write } : {}),
      read(start, end) {
        const out: DuckDBValue[] = [];
        for (const data of vector.slice(start, end).data) {
          const chunk = new Vector([data]);
          for (let k = 0; k < data.length; k++) out.push(data.getValid(k) ? valueAt(data, chunk, k) : null);
        }
        return out;
      },
    };
  });
}

/** Row `k` of one Arrow chunk as a DuckDB value: raw buffers where Arrow's getters would lose precision. */
type ArrowValueReader = (data: Data, chunk: Vector, k: number) => DuckDBValue;

function writerFor(type: DataType): { type: DuckDBType; valueAt: ArrowValueReader } {
  const raw = (data: Data, _c: Vector, k: number) => (data.values as ArrayLike<number | bigint>)[k] as number | bigint;
  const got = (_d: Data, chunk: Vector, k: number) => chunk.get(k) as DuckDBValue;
  if (DataType.isInt(type)) {
    const byWidth = type.isSigned
      ? { 8: TINYINT, 16: SMALLINT, 32: INTEGER, 64: BIGINT }
      : { 8: UTINYINT, 16: USMALLINT, 32: UINTEGER, 64: UBIGINT };
    return { type: byWidth[type.bitWidth], valueAt: raw };
  }
  if (DataType.isFloat(type)) return { type: type.precision === 2 ? DOUBLE : FLOAT, valueAt: got };
  if (DataType.isBool(type)) return { type: BOOLEAN, valueAt: got };
  if (DataType.isUtf8(type) || DataType.isLargeUtf8(type)) return { type: VARCHAR, valueAt: got };
  if (DataType.isBinary(type) || DataType.isLargeBinary(type) || DataType.isFixedSizeBinary(type)) {
    return { type: BLOB, valueAt: (d, c, k) => new DuckDBBlobValue(c.get(k) as Uint8Array) };
  }
  if (DataType.isDate(type)) {
    // DateDay holds days; DateMillisecond holds milliseconds.
    return {
      type: DATE,
      valueAt: (d, c, k) =>
        new DuckDBDateValue(type.unit === DateUnit.DAY ? Number(raw(d, c, k)) : Math.floor(Number(raw(d, c, k)) / 86_400_000)),
    };
  }
  if (DataType.isTimestamp(type)) {
    const toMicros = microsFrom(type.unit);
    return type.timezone
      ? { type: TIMESTAMPTZ, valueAt: (d, c, k) => new DuckDBTimestampTZValue(toMicros(BigInt(raw(d, c, k)))) }
      : { type: TIMESTAMP, valueAt: (d, c, k) => new DuckDBTimestampValue(toMicros(BigInt(raw(d, c, k)))) };
  }
  if (DataType.isTime(type)) {
    const toMicros = microsFrom(type.unit);
    return { type: TIME, valueAt: (d, c, k) => new DuckDBTimeValue(toMicros(BigInt(raw(d, c, k)))) };
  }
  if (DataType.isDecimal(type)) return decimalWriter(type);
  if (DataType.isDictionary(type) || DataType.isNull(type)) {
    return {
      type: VARCHAR,
      valueAt: (d, c, k) => {
        const v = c.get(k);
        return v === null || v === undefined ? null : String(v);
      },
    };
  }
  return { type: VARCHAR, valueAt: (d, c, k) => JSON.stringify(c.get(k), jsonSafe) };
}

function microsFrom(unit: TimeUnit): (v: bigint) => bigint {
  switch (unit) {
    case TimeUnit.SECOND:
      return (v) => v * 1_000_000n;
    case TimeUnit.MILLISECOND:
      return (v) => v * 1_000n;
    case TimeUnit.MICROSECOND:
      return (v) => v;
    case TimeUnit.NANOSECOND:
      return (v) => floorDiv(v, 1_000n);
  }
}

/**
 * A DECIMAL column read into JS as Float64 (its DuckDB type kept in the field's metadata) goes back as that DECIMAL,
 * so a table passed through a TypeScript block unchanged keeps its types; the digits are the double's, rounded to
 * the scale (exact up to 15 significant digits).
 */
function decimalFromMetadata(
  field: Field,
): { type: DuckDBType; valueAt: ArrowValueReader; digits: { precision: number; scale: number } } | undefined {
  const match = /^DECIMAL\((\d+),\s*(\d+)\)$/.exec(field.metadata.get(DUCKDB_TYPE_METADATA) ?? '');
  if (!match || !DataType.isFloat(field.type)) return undefined;
  const precision = Number(match[1]);
  const scale = Number(match[2]);
  return {
    type: DECIMAL(precision, scale),
    digits: { precision, scale },
    valueAt: (_d, chunk, k) => new DuckDBDecimalValue(BigInt(Math.round((chunk.get(k) as number) * 10 ** scale)), precision, scale),
  };
}

/** Arrow decimals are little-endian two's-complement words of 32 bits. */
function decimalWriter(type: { scale: number; precision: number; bitWidth: number }): { type: DuckDBType; valueAt: ArrowValueReader } {
  const words = type.bitWidth / 32;
  const unscaled = (data: Data, k: number): bigint => {
    const values = data.values as Uint32Array;
    let v = 0n;
    for (let w = words - 1; w >= 0; w--) v = (v << 32n) | BigInt(values[k * words + w] ?? 0);
    return BigInt.asIntN(type.bitWidth, v);
  };
  if (type.precision <= 38) {
    return {
      type: DECIMAL(type.precision, type.scale),
      valueAt: (d, _c, k) => new DuckDBDecimalValue(unscaled(d, k), type.precision, type.scale),
    };
  }
  return { type: DOUBLE, valueAt: (d, _c, k) => Number(unscaled(d, k)) / 10 ** type.scale };
}

/** JSON.stringify replacer: bigints as numbers when exact, as strings otherwise. */
export function jsonSafe(_key: string, value: unknown): unknown {
  if (typeof value !== 'bigint') return value;
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
}
