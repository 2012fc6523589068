import type { DuckDBConnection } from '@duckdb/node-api';
import { JobFailure, tableKey, type Catalog, type TableMeta } from './catalog.ts';
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
 * those DuckDB's plan scans (projected, or named in a pushed-down filter). Partition pruning is not modelled: a
 * filter on the partitioning column still counts the whole columns. Run inside `catalog.exclusive`, with the
 * query's search_path set.
 */
export async function estimateQuery(conn: DuckDBConnection, catalog: Catalog, sql: string): Promise<BytesEstimate> {
  const plan = (await conn.runAndReadAll(`EXPLAIN (FORMAT json) ${sql}`)).getRowsJS();
  const scans = new Map<string, Set<string>>();
  for (const row of plan) collectScans(JSON.parse(String(row[1] ?? '[]')), scans);
  const tables: BytesEstimate['tables'] = [];
  for (const [key, columns] of scans) {
    const meta = catalog.tables.get(key);
    if (!meta) continue;
    const stats = await tableStats(conn, meta);
    let bytes = 0;
    for (const field of meta.schema) {
      if (columns.has(field.name.toLowerCase()) || [...columns].some((c) => c.startsWith('\u0000') && mentions(c, field.name))) bytes += stats.columnBytes.get(field.name.toLowerCase()) ?? 0;
    }
    tables.push({ meta, bytes });
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
  if (!Number.isSafeInteger(limit) || limit < 0) throw new JobFailure('invalid', `Invalid value for maximumBytesBilled: ${String(query.maximumBytesBilled)} (a whole number of bytes)`);
  if (billed > limit) throw new JobFailure('bytesBilledLimitExceeded', `Query exceeded limit for bytes billed: ${limit}. ${billed} or higher required.`);
}

interface PlanNode {
  children?: PlanNode[];
  extra_info?: Record<string, unknown>;
}

/** Table scans in a DuckDB JSON plan: key `dataset.table` → referenced columns (filters kept as marked text). */
function collectScans(nodes: PlanNode[] | PlanNode, scans: Map<string, Set<string>>): void {
  for (const node of Array.isArray(nodes) ? nodes : [nodes]) {
    const info = node.extra_info ?? {};
    if (typeof info.Table === 'string') {
      const parts = info.Table.split('.');
      const key = tableKey(parts.at(-2) ?? '', parts.at(-1) ?? '');
      const columns = scans.get(key) ?? new Set<string>();
      for (const projection of asList(info.Projections)) columns.add(projection.split('.')[0]!.replaceAll('"', '').toLowerCase());
      // Filters are expressions ("fare>10.0"): kept whole, matched against column names afterwards.
      for (const filter of asList(info.Filters)) columns.add(`\u0000${filter}`);
      scans.set(key, columns);
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
  return new RegExp(`(^|[^A-Za-z0-9_])"?${escaped}"?([^A-Za-z0-9_]|$)`, 'i').test(filter.slice(1));
}
