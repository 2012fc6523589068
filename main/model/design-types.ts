import type { ColumnInfo } from './workspace-types.ts';
import type { LoadedBlock, Project } from './project.ts';
import type { ResolvedConnection } from './connection-profile.ts';

/**
 * What a block kind may use to tell its output's columns before any run (design time). Nothing here writes: SQL is
 * only bound (DESCRIBE) in a scratch DuckDB against empty tables shaped like the upstream outputs.
 */
export interface DesignContext {
  project: Project;
  pipelineId: string;
  block: LoadedBlock;
  /** Variables after defaults (built-ins hold placeholders for a future run). */
  variables: Record<string, unknown>;
  /** Design-time columns of each upstream block, by id (undefined where unknown, e.g. an export). */
  upstream: ReadonlyMap<string, ColumnInfo[] | undefined>;
  /**
   * Binds a SELECT over the upstream ids (empty tables of their schemas) and resolves to its columns. A SQL error
   * rejects with a UserError whose place has the line and column inside `sql`.
   */
  describeSql(sql: string): Promise<ColumnInfo[]>;
  /** DuckDB's parse tree of `sql` (`json_serialize_sql`): read for column lineage, never executed. */
  serializeSql(sql: string): Promise<unknown>;
  /** Records which upstream columns each output column reads (SQL kinds). */
  reportLineage(lineage: ColumnLineage[]): void;
  /** `.pipewright/cache` (sampled headers and the schema cache live there). */
  cacheDir: string;
  /**
   * The columns cached under `key` while `fingerprint` (a URL's ETag, a file's mtime and size) is unchanged;
   * otherwise computes, stores and returns them. A sample is read once per version of the data.
   */
  cached(key: string, fingerprint: string, compute: () => Promise<ColumnInfo[]>): Promise<ColumnInfo[]>;
  signal: AbortSignal;
}

/** Where one output column comes from: the upstream blocks' columns its expression reads (empty for a constant). */
export interface ColumnLineage {
  column: string;
  sources: { block: string; column: string }[];
}

/** One export's plan, told without writing anything: what `pipewright run --dry-run` and **Preview export** show. */
export interface ExportPlan {
  blockId: string;
  /** `export/postgres`, … */
  kind: string;
  /** `postgres local_pg ny_taxi.yellow_cab_data`, `gs://bucket/path/`, `project.dataset.table`, a file path. */
  destination: string;
  mode: string;
  /** The statements it would run (CREATE / ALTER / swap), in order. */
  ddl: string[];
  /** Rows it would write: the upstream's stored output; undefined when the upstream has none yet. */
  rows?: number;
  /** Rows per partition folder, in folder order (partitioned exports). */
  partitions?: { name: string; rows: number }[];
  /** Objects or files that would be written and removed. */
  objects?: { write: string[]; remove: string[] };
  /** The load job's configuration as sent to BigQuery (jobs.insert `configuration`). */
  job?: Record<string, unknown>;
  /** The target's columns against the output's, and what the drift policy would do about it. */
  schemaDiff?: SchemaDiff;
  /** Anything else worth telling (the upstream has no output yet, the target does not exist, …). */
  notes: string[];
}

export interface SchemaDiff {
  /** Whether the target exists now. */
  targetExists: boolean;
  added: { name: string; type: string }[];
  missing: { name: string; type: string }[];
  retyped: { name: string; from: string; to: string }[];
  /** What the chosen policy does with these differences (`replaced with the new columns`, `fails: …`, `adds tip_rate`). */
  policy: string;
}

/** What a kind's plan may read: the upstream's stored output (read-only) and the connections. */
export interface PlanContext {
  project: Project;
  pipelineId: string;
  block: LoadedBlock;
  variables: Record<string, unknown>;
  /** The id of the block whose output the export writes. */
  upstream: string;
  /** Columns of what would be written: the stored output's, else the design-time schema's. */
  columns: ColumnInfo[] | undefined;
  /** Rows of the upstream's stored output; undefined when it has none. */
  rows: number | undefined;
  /** The quoted relation of the upstream's stored output in `queryRows`; undefined when it has none. */
  relation: string | undefined;
  /** Runs a read-only query over the workspace (small results: counts per partition). */
  queryRows(sql: string): Promise<Record<string, unknown>[]>;
  connection?(name: string): Promise<ResolvedConnection>;
  /** The rendered config of another block of the pipeline (a BigQuery load reads its GCS block's). */
  blockConfig(blockId: string): { kind: string; config: unknown } | undefined;
  signal: AbortSignal;
}
