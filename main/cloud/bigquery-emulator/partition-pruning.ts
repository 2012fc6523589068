import type { DuckDBConnection } from '@duckdb/node-api';
import type { TableMeta } from './catalog.ts';
import type { Field } from './schema.ts';
import { qualifiedName, quoteIdent } from './sql.ts';
import { cellBytes } from './table-stats.ts';

/**
 * Partition pruning as BigQuery applies it to on-demand bytes
 * (https://cloud.google.com/bigquery/docs/querying-partitioned-tables): a filter on the partitioning column limits
 * the scan to the partitions it selects, whole partitions, whatever other filters do. Answers the logical bytes of
 * `fields` over those partitions, or undefined (count whole columns) when the table is not partitioned by a column,
 * no filter is on that column alone, or DuckDB cannot run the filter text as SQL.
 */
export async function prunedBytes(
  conn: DuckDBConnection,
  table: TableMeta,
  fields: Field[],
  partitionFilters: string[],
): Promise<number | undefined> {
  const key = partitionKey(table);
  if (!key || partitionFilters.length === 0) return undefined;
  const relation = qualifiedName(table.datasetId, table.tableId);
  const sums = fields.map((f) => `coalesce(sum(${cellBytes(f, quoteIdent(f.name))}), 0)`);
  const sql = `SELECT 0${sums.map((s) => ` + ${s}`).join('')} FROM ${relation} WHERE ${key} IN (SELECT DISTINCT ${key} FROM ${relation} WHERE ${partitionFilters.map((f) => `(${f})`).join(' AND ')})`;
  try {
    const row = (await conn.runAndReadAll(sql)).getRowsJS()[0];
    return Number(row?.[0] ?? 0);
  } catch (error) {
    void error; // EXPLAIN's filter text is not always valid SQL: then the whole columns count, as without pruning
    return undefined;
  }
}

/** The column a table is partitioned by, if any (ingestion-time partitioning has none). */
export function partitionColumn(table: TableMeta): string | undefined {
  const time = table.timePartitioning as { field?: string } | undefined;
  const range = table.rangePartitioning as { field?: string } | undefined;
  return time?.field ?? range?.field;
}

/** The SQL expression naming a row's partition. */
function partitionKey(table: TableMeta): string | undefined {
  const column = partitionColumn(table);
  if (!column) return undefined;
  const time = table.timePartitioning as { type?: string } | undefined;
  if (time) return `date_trunc('${String(time.type ?? 'DAY').toLowerCase()}', ${quoteIdent(column)})`;
  const range = (table.rangePartitioning as { range?: { start?: string; interval?: string } }).range;
  return `((${quoteIdent(column)} - ${Number(range?.start ?? 0)}) // ${Number(range?.interval ?? 1) || 1})`;
}
