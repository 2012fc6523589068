import type { DuckDBConnection } from '@duckdb/node-api';
import { JobFailure, tableKey, type Catalog, type TableMeta } from './catalog.ts';
import { partitionColumn, prunedBytes } from './partition-pruning.ts';
import { tableStats } from './table-stats.ts';

/** What a query reads: the bytes of the columns it references, per table (BigQuery's on-demand figure). */
export interface BytesEstimate {
  bytes: number;
  tables: { meta: TableMeta; bytes: number }[];
}

const MIB = 1024 * 1024;

/**
 * Estimates the bytes a query processes as BigQuery describes it for on-demand queries
 * (https://cloud.google.com/bigquery/docs/estimate-costs#query_size_calculation): the logical bytes (table-stats.ts)
 * of every column the query references, in every table it reads, whatever its filters or LIMIT. The columns are
 * those DuckDB's plan scans (projected, or named in a pushed-down filter). In a partitioned table, filters on the
 * partitioning column alone limit the count to the partitions they select (partition-pruning.ts). Run inside
 * `catalog.exclusive`, with the query's search_path set.
 */
export async function estimateQuery(conn: DuckDBConnection, catalog: Catalog, sql: string): Promise<BytesEstimate> {
  const plan = (await conn.runAndReadAll(`EXPLAIN (FORMAT json) ${sql}`)).getRowsJS();
  const scans = new Map<string, Scan>();
  for (const row of plan) collectScans(JSON.parse(String(row[1] ?? '[]')), scans);
  const tables: BytesEstimate['tables'] = [];
  for (const [key, scan] of scans) {
    const meta = catalog.tables.get(key);
    if (!meta) continue;
    const referenced = meta.schema.filter(
      (f) => scan.columns.has(f.name.toLowerCase()) || scan.filters.some((filter) => mentions(filter, f.name)),
    );
    const partitioning = partitionColumn(meta)?.toLowerCase();
    const onPartitionOnly = scan.filters.filter(
      (filter) =>
        mentions(filter, partitioning ?? '') &&
        meta.schema.every((f) => f.name.toLowerCase() === partitioning || !mentions(filter, f.name)),
    );
    const pruned = await prunedBytes(conn, meta, referenced, onPartitionOnly);
    const stats = await tableStats(conn, meta);
    tables.push({ meta, bytes: pruned ?? referenced.reduce((sum, f) => sum + (stats.columnBytes.get(f.name.toLowerCase()) ?? 0), 0) });
  }
  return { bytes: tables.reduce((sum, t) => sum + t.bytes, 0), tables };
}

/**
 * The bytes billed for an estimate (https://cloud.google.com/bigquery/pricing#on_demand_pricing): "rounded up to the
 * nearest MB, with a minimum 10 MB data processed per table referenced by the query, and with a minimum 10 MB data
 * processed per query". A query that reads no table (SELECT 1) is billed nothing.
 */
export function billedBytes(estimate: BytesEstimate): number {
  if (estimate.tables.length === 0) return 0;
  const perTable = estimate.tables.reduce((sum, t) => sum + Math.max(t.bytes, 10 * MIB), 0);
  return Math.max(10 * MIB, Math.ceil(perTable / MIB) * MIB);
}

/**
 * `maximumBytesBilled` (https://cloud.google.com/bigquery/docs/reference/rest/v2/Job#JobConfigurationQuery): "Queries
 * that will have bytes billed beyond this limit will fail (without incurring a charge)", with reason
 * bytesBilledLimitExceeded (https://cloud.google.com/bigquery/docs/error-messages).
 */
export function checkBytesBilledLimit(query: Record<string, unknown>, billed: number): void {
  if (query.maximumBytesBilled === undefined || query.maximumBytesBilled === null) return;
  const limit = Number(query.maximumBytesBilled);
  if (!Number.isSafeInteger(limit) || limit < 0)
    throw new JobFailure('invalid', `Invalid value for maximumBytesBilled: ${String(query.maximumBytesBilled)} (a whole number of bytes)`);
  if (billed > limit)
    throw new JobFailure('bytesBilledLimitExceeded', `Query exceeded limit for bytes billed: ${limit}. ${billed} or higher required.`);
}

interface PlanNode {
  children?: PlanNode[];
  extra_info?: Record<string, unknown>;
}

/** What one table's scans read: the columns projected, and the filters pushed into the scan (DuckDB expressions). */
interface Scan {
  columns: Set<string>;
  filters: string[];
}

/** Table scans in a DuckDB JSON plan, by key `dataset.table`. */
function collectScans(nodes: PlanNode[] | PlanNode, scans: Map<string, Scan>): void {
  for (const node of Array.isArray(nodes) ? nodes : [nodes]) {
    const info = node.extra_info ?? {};
    if (typeof info.Table === 'string') {
      const parts = info.Table.split('.');
      const key = tableKey(parts.at(-2) ?? '', parts.at(-1) ?? '');
      const scan = scans.get(key) ?? { columns: new Set<string>(), filters: [] };
      for (const projection of asList(info.Projections)) scan.columns.add(projection.split('.')[0]!.replaceAll('"', '').toLowerCase());
      scan.filters.push(...asList(info.Filters));
      scans.set(key, scan);
    }
    collectScans(node.children ?? [], scans);
  }
}

function asList(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  return typeof value === 'string' && value !== '' ? value.split('\n') : [];
}

/** Whether a filter expression names the column (as a whole word, quoted or not). */
function mentions(filter: string, column: string): boolean {
  const escaped = column.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(^|[^A-Za-z0-9_])"?${escaped}"?([^A-Za-z0-9_]|$)`, 'i').test(filter);
}
