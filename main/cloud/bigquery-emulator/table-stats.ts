import type { DuckDBConnection } from '@duckdb/node-api';
import type { TableMeta } from './catalog.ts';
import { canonicalType, type Field } from './schema.ts';
import { qualifiedName, quoteIdent, quoteLiteral } from './sql.ts';

/** A table's rows and the logical bytes each column holds (keys in lower case). */
export interface TableStats {
  rows: number;
  columnBytes: Map<string, number>;
}

/**
 * Every write to a table saves a new TableMeta object (catalog.save), so the object itself tells whether the
 * cached figures are still those of the data.
 */
const cache = new WeakMap<TableMeta, TableStats>();

/**
 * Rows and logical bytes per column, measured as BigQuery sizes data for storage and on-demand queries
 * (https://cloud.google.com/bigquery/docs/storage_overview#data_type_sizes): INT64, FLOAT64, DATE, DATETIME,
 * TIME and TIMESTAMP 8 bytes; BOOL 1; NUMERIC 16; BIGNUMERIC 32; INTERVAL 16; STRING and BYTES 2 + their UTF-8
 * or byte length; JSON its text's length; GEOGRAPHY 16 + 24 per vertex; STRUCT and ARRAY the sum of what they hold;
 * NULL 0. Run inside `catalog.exclusive`.
 */
export async function tableStats(conn: DuckDBConnection, table: TableMeta): Promise<TableStats> {
  const cached = cache.get(table);
  if (cached) return cached;
  const sums = table.schema.map((f) => `coalesce(sum(${cellBytes(f, quoteIdent(f.name))}), 0)`);
  const row =
    (
      await conn.runAndReadAll(`SELECT count(*)${sums.map((s) => `, ${s}`).join('')} FROM ${qualifiedName(table.datasetId, table.tableId)}`)
    ).getRowsJS()[0] ?? [];
  const stats: TableStats = {
    rows: Number(row[0] ?? 0),
    columnBytes: new Map(table.schema.map((f, i) => [f.name.toLowerCase(), Number(row[i + 1] ?? 0)])),
  };
  cache.set(table, stats);
  return stats;
}

/** The table's size in logical bytes (tables.get `numBytes`). */
export function totalBytes(stats: TableStats): number {
  let sum = 0;
  for (const bytes of stats.columnBytes.values()) sum += bytes;
  return sum;
}

const FIXED: Record<string, number> = {
  INTEGER: 8,
  FLOAT: 8,
  DATE: 8,
  DATETIME: 8,
  TIME: 8,
  TIMESTAMP: 8,
  BOOLEAN: 1,
  NUMERIC: 16,
  BIGNUMERIC: 32,
  INTERVAL: 16,
};

/** A per-row SQL expression: the logical bytes of one cell of `field` (0 when NULL). */
export function cellBytes(field: Field, expr: string): string {
  if (field.mode?.toUpperCase() === 'REPEATED') {
    const element = cellBytes({ ...field, mode: 'NULLABLE' }, 'x');
    return `coalesce(list_sum(list_transform(${expr}, x -> ${element})), 0)`;
  }
  const type = canonicalType(field.type);
  if (type === 'RECORD') {
    const members = (field.fields ?? []).map((f) => cellBytes(f, `struct_extract(${expr}, ${quoteLiteral(f.name)})`));
    return members.length === 0 ? '0' : `(${members.join(' + ')})`;
  }
  const size =
    FIXED[type] !== undefined
      ? String(FIXED[type])
      : type === 'STRING'
        ? `2 + strlen(${expr})`
        : type === 'BYTES'
          ? `2 + octet_length(${expr})`
          : type === 'GEOGRAPHY'
            ? `16 + 24 * (length(${expr}) - length(replace(${expr}, ',', '')) + 1)`
            : `strlen(CAST(${expr} AS VARCHAR))`;
  return `CASE WHEN ${expr} IS NULL THEN 0 ELSE ${size} END`;
}
