import { UserError } from '../model/errors.ts';
import type { BlockSession } from '../model/workspace-types.ts';
import { quoteIdent, quoteLiteral } from '../data/sql-names.ts';

/**
 * DuckDB's side of the exchange with Python blocks (main/python/py/pw_codec.py and pw_output.py are the other). Tables cross as files
 * of "wire" columns c0, c1, …: CSV without pyarrow, Parquet with it. Wire values keep types exact: timestamps as
 * integer microseconds (nanoseconds for TIMESTAMP_NS), dates as days, times as microseconds, decimals and huge
 * integers as their digits, booleans as 0/1, BLOBs as base64, nested values as JSON text, other types as DuckDB prints them.
 */

export type ExchangeFormat = 'csv' | 'parquet';

export type WireKind =
  'int' | 'float' | 'bool' | 'str' | 'text' | 'json' | 'decimal' | 'hugeint' | 'blob' | 'ts' | 'tstz' | 'date' | 'time' | 'interval';

/** One column as it crosses: its name and DuckDB type, how it is encoded, and whether it has NULLs. */
export interface WireColumn {
  name: string;
  type: string;
  kind: WireKind;
  nulls?: boolean;
  /** CSV only: every value is prefixed by one character, because the column holds both NULL and ''. */
  prefixed?: boolean;
  /** CSV input only: the NULLs of this integer-like column are 1s in wire column n<validity> (after the c columns), its values 0. */
  validity?: number;
}

const INTEGERS = new Set(['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT']);
const TEXT_KINDS = new Set<WireKind>(['str', 'text', 'json', 'blob']);
const INTEGER_KINDS = new Set<WireKind>(['int', 'bool', 'ts', 'tstz', 'date', 'time']);

/** How a DuckDB column (type as DESCRIBE prints it) is encoded for Python: its wire kind and SQL expression. */
export function encodeColumn(type: string, column: string): { kind: WireKind; expr: string } {
  const c = quoteIdent(column);
  if (INTEGERS.has(type)) return { kind: 'int', expr: c };
  if (type === 'FLOAT' || type === 'DOUBLE') return { kind: 'float', expr: c };
  if (type === 'BOOLEAN') return { kind: 'bool', expr: `CAST(${c} AS TINYINT)` };
  if (type === 'VARCHAR') return { kind: 'str', expr: c };
  if (type.startsWith('DECIMAL(')) return { kind: 'decimal', expr: `CAST(${c} AS VARCHAR)` };
  if (type === 'HUGEINT' || type === 'UHUGEINT') return { kind: 'hugeint', expr: `CAST(${c} AS VARCHAR)` };
  if (type === 'TIMESTAMP_NS') return { kind: 'ts', expr: `epoch_ns(${c})` };
  if (type === 'TIMESTAMP' || type === 'TIMESTAMP_S' || type === 'TIMESTAMP_MS') return { kind: 'ts', expr: `epoch_us(${c})` };
  if (type === 'TIMESTAMP WITH TIME ZONE') return { kind: 'tstz', expr: `epoch_us(${c})` };
  if (type === 'DATE') return { kind: 'date', expr: `(${c} - DATE '1970-01-01')` };
  if (type === 'TIME') return { kind: 'time', expr: `epoch_us(${c})` };
  if (type === 'BLOB') return { kind: 'blob', expr: `to_base64(${c})` };
  if (/^(STRUCT|MAP|UNION)\(|\]$/.test(type)) return { kind: 'str', expr: `CAST(to_json(${c}) AS VARCHAR)` };
  return { kind: 'str', expr: `CAST(${c} AS VARCHAR)` };
}

/**
 * Writes an upstream output as a wire file at `file` (DuckDB streams it: memory stays bounded) and resolves to its
 * columns and row count, which the Python side needs to read it back with the right types.
 */
export async function writeWireFile(
  data: BlockSession,
  upstream: string,
  file: string,
  format: ExchangeFormat,
): Promise<{ columns: WireColumn[]; rows: number }> {
  const described = await data.describe(upstream);
  const encoded = described.columns.map((col) => ({ ...col, ...encodeColumn(col.type, col.name) }));
  const relation = data.relation(upstream);
  const stats = encoded.flatMap((col, i) => [
    `count(${col.expr}) AS v${i}`,
    ...(TEXT_KINDS.has(col.kind) ? [`count(*) FILTER (WHERE ${col.expr} = '') AS z${i}`] : []),
  ]);
  const [counts] = await data.queryRows(`SELECT ${['count(*) AS n', ...stats].join(', ')} FROM ${relation}`);
  const rows = Number(counts?.n ?? 0);
  const columns: WireColumn[] = [];
  const select: string[] = [];
  const validity: string[] = [];
  for (const [i, col] of encoded.entries()) {
    const nulls = Number(counts?.[`v${i}`] ?? 0) < rows;
    const prefixed = format === 'csv' && nulls && Number(counts?.[`z${i}`] ?? 0) > 0;
    // pandas parses an integer column with empty fields ten times slower than one without plus a 0/1 column beside it.
    const hasValidity = format === 'csv' && nulls && INTEGER_KINDS.has(col.kind);
    columns.push({
      name: col.name,
      type: col.type,
      kind: col.kind,
      nulls,
      ...(prefixed ? { prefixed } : {}),
      ...(hasValidity ? { validity: validity.length } : {}),
    });
    if (hasValidity) validity.push(`CAST(${col.expr} IS NULL AS TINYINT) AS n${validity.length}`);
    select.push(`${prefixed ? `'s' || ${col.expr}` : hasValidity ? `coalesce(${col.expr}, 0)` : col.expr} AS c${i}`);
  }
  select.push(...validity);
  const options = format === 'csv' ? 'FORMAT csv, HEADER false' : 'FORMAT parquet';
  await data.run(`COPY (SELECT ${select.join(', ') || '1 AS c0'} FROM ${relation}) TO ${quoteLiteral(file)} (${options})`);
  return { columns, rows };
}

/** The SQL type a wire column is stored as in the file. */
function wireType(col: WireColumn): string {
  switch (col.kind) {
    case 'int':
    case 'float':
      return col.type;
    case 'bool':
      return 'TINYINT';
    case 'ts':
    case 'tstz':
    case 'date':
    case 'time':
    case 'interval':
      return 'BIGINT';
    default:
      return 'VARCHAR';
  }
}

/** The DuckDB value of a wire column `c` (already of its wire type). */
function decodeExpr(col: WireColumn, c: string): string {
  const text = col.prefixed ? `substr(${c}, 2)` : c;
  switch (col.kind) {
    case 'int':
    case 'float':
      return c;
    case 'bool':
      return `CAST(${c} AS BOOLEAN)`;
    case 'str':
    case 'text':
    case 'json':
      return text;
    case 'decimal':
    case 'hugeint':
      return `CAST(${c} AS ${col.type})`;
    case 'blob':
      return `from_base64(${text})`;
    case 'ts':
      if (col.type === 'TIMESTAMP_NS') return `make_timestamp_ns(${c})`;
      return col.type === 'TIMESTAMP' ? `make_timestamp(${c})` : `CAST(make_timestamp(${c}) AS ${col.type})`;
    case 'tstz':
      return `make_timestamptz(${c})`;
    case 'date':
      return `CAST(DATE '1970-01-01' + CAST(${c} AS INTEGER) AS DATE)`;
    case 'time':
      return `CAST(TIME '00:00:00' + to_microseconds(${c}) AS TIME)`;
    case 'interval':
      return `to_microseconds(${c})`;
  }
}

const KINDS = new Set<WireKind>([
  'int',
  'float',
  'bool',
  'str',
  'text',
  'json',
  'decimal',
  'hugeint',
  'blob',
  'ts',
  'tstz',
  'date',
  'time',
  'interval',
]);
const OUTPUT_TYPES =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|HUGEINT|FLOAT|DOUBLE|BOOLEAN|VARCHAR|BLOB|DATE|TIME|INTERVAL|TIMESTAMP|TIMESTAMP_S|TIMESTAMP_MS|TIMESTAMP_NS|TIMESTAMPTZ|DECIMAL\(\d{1,2},\d{1,2}\))$/;

/** Checks the schema the Python side reported before it goes into SQL; a mismatch is a bug on our side. */
export function checkWireSchema(columns: unknown): WireColumn[] {
  if (!Array.isArray(columns)) throw new Error('the Python harness reported no output columns');
  return columns.map((raw: unknown) => {
    const col = raw as Partial<WireColumn>;
    if (typeof col.name !== 'string' || typeof col.type !== 'string' || !OUTPUT_TYPES.test(col.type) || !KINDS.has(col.kind as WireKind)) {
      throw new Error(`the Python harness reported an unusable output column: ${JSON.stringify(raw)}`);
    }
    return col as WireColumn;
  });
}

/** The SELECT that loads a wire file written by the Python side into the block's output, with its DuckDB types. */
export function wireFileSelect(file: string, format: ExchangeFormat, columns: WireColumn[]): string {
  if (columns.length === 0) throw new UserError('the DataFrame has no columns: return at least one column');
  const wire = columns.map((col, i) => `CAST(c${i} AS ${wireType(col)}) AS c${i}`);
  let from: string;
  if (format === 'parquet') {
    from = `(SELECT ${wire.join(', ')} FROM read_parquet(${quoteLiteral(file)}))`;
  } else {
    const types = columns.map((col, i) => `'c${i}': '${wireType(col)}'`).join(', ');
    // The Python side quotes every text value: an unquoted empty field is NULL, a quoted one is ''.
    from = `read_csv(${quoteLiteral(file)}, columns={${types}}, header=false, auto_detect=false, delim=',', quote='"', escape='"', allow_quoted_nulls=false)`;
  }
  const select = columns.map((col, i) => `${decodeExpr(col, `c${i}`)} AS ${quoteIdent(col.name)}`);
  return `SELECT ${select.join(', ')} FROM ${from}`;
}
