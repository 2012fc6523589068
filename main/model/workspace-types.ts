import type { DuckDBDataChunk } from '@duckdb/node-api';
import type { Table } from 'apache-arrow';

/** DuckDB's own estimate of a running query's progress (rows of its sources, summed over its pipelines). */
export interface QueryProgress {
  rows: number;
  totalRows: number;
  /** 0-100. */
  percent: number;
}

/** A column as DuckDB names and types it (`BIGINT`, `TIMESTAMP`, `DECIMAL(10,2)`, …). */
export interface ColumnInfo {
  name: string;
  type: string;
}

/**
 * One block attempt's view of the project workspace (a DuckDB connection of its own).
 * Upstream block ids are readable as plain table names in SQL: this run's outputs where the run produced
 * them, otherwise the blocks' latest successful outputs. Nothing the session writes is visible to others
 * until the engine publishes it.
 */
/** What a file view output records (see BlockSession.writeOutputAsFileView). */
export interface FileViewInfo {
  /** Rows, counted when the view was written. */
  rows: number;
  /** The linked files DuckDB reads, and the names the user knows them by (URLs, project paths). */
  files: { path: string; display: string }[];
}

export interface BlockSession {
  /** Runs SQL (any statements) in this session. */
  run(sql: string): Promise<void>;
  /** Runs a query and returns plain JS rows (small results only: tests, counts, metadata). */
  queryRows(sql: string): Promise<Record<string, unknown>[]>;
  /** Rows of these readable upstream outputs, summed, in one round trip (a fan-out's children share one count). */
  countRows(blockIds: readonly string[]): Promise<number>;
  /**
   * Materialises the block's output from a SELECT over upstream names; resolves to the rows written. `onProgress`
   * gets DuckDB's progress of the query about every 250 ms while it runs.
   */
  writeOutputFromQuery(selectSql: string, onProgress?: (progress: QueryProgress) => void): Promise<number>;
  /** Materialises the block's output from an Arrow table (TypeScript blocks). */
  writeOutputFromArrow(table: Table): Promise<number>;
  /**
   * Materialises the block's output from Arrow tables that arrive one after another (a TypeScript block's batches):
   * created from the first one's columns, holding one at a time; resolves to the rows written.
   */
  writeOutputFromArrowBatches(tables: AsyncIterable<Table>): Promise<number>;
  /** Materialises the block's output from plain rows; column types are inferred from the values. */
  writeOutputFromRows(rows: Record<string, unknown>[]): Promise<number>;
  /** Quoted SQL name of a readable relation: an upstream block id, or this block's own id once written. */
  relation(blockId: string): string;
  /**
   * The identity of the stored output an upstream block id reads: one per publication (a run's attempt that wrote
   * it), never reused, so it names the data without reading it (the append ledger records it; GCS append parts are
   * named by it).
   */
  outputIdentity(blockId: string): string;
  /** Reads an upstream output (or this block's own output once written) as an Arrow table. */
  readArrow(blockId: string): Promise<Table>;
  /**
   * Reads an upstream output (or this block's own once written) as Arrow tables of about `rowsPerPart` rows, each
   * read when the previous one is taken: memory holds one part, whatever the output's size.
   */
  streamArrow(blockId: string, rowsPerPart: number): AsyncIterable<Table>;
  /**
   * Runs a query and hands its result to `consume` chunk by chunk, as DuckDB produces them (memory stays bounded
   * however large the result); resolves to what `consume` resolves to. interrupt() stops the query.
   */
  streamChunks<T>(sql: string, consume: (chunks: AsyncIterable<DuckDBDataChunk>) => Promise<T>): Promise<T>;
  /**
   * Writes the rows of the user's SELECT to files with DuckDB's `COPY … TO target (copyOptions)` (an export's own
   * write: see BlockContext.fileSink) and resolves to the rows written; errors are placed in the SQL as for
   * writeOutputFromQuery. Writes no output: the block then publishes the files with writeOutputAsFileView.
   */
  copyQueryToFiles(selectSql: string, target: string, copyOptions: string, onProgress?: (progress: QueryProgress) => void): Promise<number>;
  /**
   * Links (or with `copy`, copies) files into this attempt's own folder (see writeOutputAsFileView) and resolves to
   * their paths there: read those, so a later replacement of the originals leaves the output as it was. With
   * `relativeTo`, each keeps its path under that folder (Hive partition folders) instead of a flat name.
   */
  linkOutputFiles(files: readonly string[], how?: { copy?: boolean; relativeTo?: string }): Promise<string[]>;
  /**
   * Publishes the block's output as a view over linked files (a SELECT reading them) instead of a table: nothing is
   * parsed now; the block that reads the output parses the files once. `info.rows` must be exact.
   */
  writeOutputAsFileView(selectSql: string, info: FileViewInfo): Promise<void>;
  /** Of `blockIds` (upstream blocks or this one), those whose output is a file view, with what the view records. */
  fileViewsOf(blockIds: readonly string[]): Promise<Map<string, FileViewInfo>>;
  /** Columns and row count of an upstream output (or this block's own once written). */
  describe(blockId: string): Promise<{ columns: ColumnInfo[]; rows: number }>;
  /** The physical table holding this attempt's output, once written. */
  readonly outputTable: string | undefined;
  /** Interrupts the running query, if any (cancellation, timeout). */
  interrupt(): void;
  close(): Promise<void>;
}

/** A window of a block's output for the preview grid. */
export interface PreviewWindow {
  offset: number;
  limit: number;
  /** Sort pushed down to DuckDB. */
  orderBy?: { column: string; descending?: boolean }[];
  /** A SQL boolean expression over the output's columns, pushed down to DuckDB (WHERE). */
  filter?: string;
}

export interface PreviewResult {
  columns: ColumnInfo[];
  /** Rows matching the filter (all rows when there is none). */
  totalRows: number;
  offset: number;
  /** The window as Arrow IPC stream bytes. */
  ipc: Uint8Array;
}

export interface ColumnProfile {
  name: string;
  type: string;
  nulls: number;
  /** Approximate distinct count (HyperLogLog). */
  distinct: number;
  min: string | null;
  max: string | null;
  /** Equal-width bins for numeric and temporal columns, top values for others. */
  histogram: { label: string; count: number }[];
}

/** The latest successful output of a block, as recorded in the workspace. */
export interface OutputInfo {
  pipelineId: string;
  blockId: string;
  runId: string;
  rows: number;
  createdAt: number;
}
