import type { WarehouseEngine } from '../model/block-engine.ts';

/** A table in a warehouse: BigQuery `project.dataset.table` (project optional) or Postgres `schema.table`. */
export interface TableRef {
  project?: string;
  /** BigQuery dataset or Postgres schema. */
  namespace: string;
  table: string;
}

/** What a warehouse says about a query before running it: BigQuery's dry run, Postgres's EXPLAIN. */
export interface Estimate {
  /** Bytes the query would process (BigQuery). */
  bytes?: number;
  /** The planner's total cost (Postgres EXPLAIN). */
  cost?: number;
  /** Estimated rows (Postgres EXPLAIN). */
  rows?: number;
}

/** What building a table cost, for the run history. */
export interface BuildStats {
  rows: number;
  jobId?: string;
  bytesProcessed?: number;
  slotMs?: number;
}

export interface BuildOptions {
  /** Milliseconds the statement may run (Postgres statement_timeout; BigQuery jobTimeoutMs). */
  timeoutMs?: number;
  /** BigQuery job labels. */
  labels?: Record<string, string>;
  /** BigQuery: a job id derived from run, block and attempt, so a retried request cannot run the query twice. */
  jobId?: string;
  /** BigQuery: refused by the warehouse past this. */
  maximumBytesBilled?: number;
  /** BigQuery: `PARTITION BY` expression and `CLUSTER BY` columns of the table. */
  partitionBy?: string;
  clusterBy?: string[];
}

/** A window of a warehouse table, as the preview grid asks for it. */
export interface WindowRequest {
  offset: number;
  limit: number;
  orderBy?: { column: string; descending?: boolean }[];
  /** A boolean SQL expression in the warehouse's dialect. */
  filter?: string;
}

export interface WindowResult {
  columns: { name: string; type: string }[];
  rows: Record<string, unknown>[];
  totalRows: number;
}

/** One column's profile, computed by one aggregate query in the warehouse. */
export interface WarehouseColumnProfile {
  name: string;
  type: string;
  nulls: number;
  distinct: number;
  min: string | null;
  max: string | null;
}

/**
 * One open connection to a warehouse, the only thing the push-down code needs of one. Every call may be cancelled
 * by `cancel()` from another task; a cancelled build fails and leaves no table behind.
 */
export interface Warehouse {
  readonly engine: WarehouseEngine;
  /** Postgres: the connection's schema, where a Postgres export without `schema:` writes. */
  readonly defaultNamespace?: string | undefined;
  /** The table as SQL of this warehouse names it, quoted. */
  sqlName(table: TableRef): string;
  /** Checks `sql` without running it: bytes (BigQuery dry run) or cost (Postgres EXPLAIN). */
  estimate(sql: string): Promise<Estimate>;
  /** Creates `target` from `sql` (a SELECT), replacing nothing that exists: a run-scoped table. */
  build(target: TableRef, sql: string, options: BuildOptions): Promise<BuildStats>;
  /** Replaces `published` by `built` atomically (readers see the old table or the new one), consuming `built`. */
  publish(built: TableRef, published: TableRef, options: BuildOptions): Promise<void>;
  /** Replaces `to` by a copy of `from` (Postgres CREATE TABLE … AS TABLE; BigQuery a copy job), keeping `from`. */
  copy(from: TableRef, to: TableRef, options: BuildOptions): Promise<void>;
  /** Whether the table exists. */
  exists(table: TableRef): Promise<boolean>;
  /** Names of the tables in `namespace` that start with `prefix`; none when the namespace does not exist. */
  listTables(namespace: string, prefix: string): Promise<string[]>;
  /**
   * Rows of a table from the warehouse's metadata (BigQuery numRows; Postgres reltuples, or a count of a small table
   * never analysed); undefined when it cannot tell cheaply (a view, a large table never analysed).
   */
  rowCount(table: TableRef): Promise<number | undefined>;
  /** Drops a table if it exists. */
  drop(table: TableRef): Promise<void>;
  /** Rows of a small query (tests, counts). */
  queryRows(sql: string): Promise<Record<string, unknown>[]>;
  /** One window of a table, sorted and filtered in the warehouse; only the window crosses the network. */
  window(table: TableRef, request: WindowRequest): Promise<WindowResult>;
  /** Null counts, distinct counts, min and max of every column, in one aggregate query. */
  profile(table: TableRef): Promise<WarehouseColumnProfile[]>;
  /** Stops what runs now (pg_cancel_backend, jobs.cancel); resolves when asked, not when stopped. */
  cancel(): Promise<void>;
  close(): Promise<void>;
}

/** A warehouse error about the SQL the user wrote: where it points, when the warehouse says. */
export class WarehouseSqlError extends Error {
  constructor(
    message: string,
    readonly position: number | undefined,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
