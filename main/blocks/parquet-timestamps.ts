import { quoteIdent } from '../data/sql-names.ts';
import type { ColumnInfo } from '../model/workspace-types.ts';

/**
 * How exports write DuckDB's naive TIMESTAMP columns to Parquet, the same on the upload and the GCS paths.
 * `timestamp` (default): as UTC instants (Parquet isAdjustedToUTC=true), which BigQuery loads as TIMESTAMP.
 * `datetime`: as they are (isAdjustedToUTC=false), which BigQuery loads as DATETIME
 * (https://cloud.google.com/bigquery/docs/loading-data-cloud-storage-parquet#parquet_conversions).
 */
export type TimestampMode = 'timestamp' | 'datetime';

/** True for DuckDB's naive timestamp types (any precision). */
export function isNaiveTimestamp(type: string): boolean {
  return /^TIMESTAMP(_S|_MS|_NS)?$/i.test(type.trim());
}

/** The select item writing a naive timestamp column as a UTC instant; other columns unchanged. */
export function utcTimestampCast(column: ColumnInfo): string {
  const name = quoteIdent(column.name);
  return isNaiveTimestamp(column.type) ? `timezone('UTC', CAST(${name} AS TIMESTAMP)) AS ${name}` : name;
}

/** `(SELECT * REPLACE (…) FROM relation)`: the relation with its naive timestamps (but `keep`) as UTC instants. */
export function withUtcTimestamps(relation: string, columns: ColumnInfo[], keep: string[]): string {
  const cast = columns.filter((c) => isNaiveTimestamp(c.type) && !keep.includes(c.name));
  if (cast.length === 0) return relation;
  return `(SELECT * REPLACE (${cast.map(utcTimestampCast).join(', ')}) FROM ${relation})`;
}
