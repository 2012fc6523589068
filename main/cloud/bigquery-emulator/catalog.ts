import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { Field } from './schema.ts';
import { qualifiedName, quoteIdent } from './sql.ts';

/** DuckDB memory of the emulator's tables and jobs (queries and loads spill beyond it). */
const EMULATOR_MEMORY_LIMIT = '200MB';

/** Schema of the emulator's own bookkeeping inside its DuckDB file (no dataset may use it). */
export const META_SCHEMA = '_emulator';
/** Schema holding query results, one table per query job. */
export const RESULTS_SCHEMA = '_emulator_results';

export interface DatasetMeta {
  projectId: string;
  datasetId: string;
  location: string;
  created: number;
}

export interface TableMeta {
  projectId: string;
  datasetId: string;
  tableId: string;
  schema: Field[];
  timePartitioning?: Record<string, unknown>;
  rangePartitioning?: Record<string, unknown>;
  clustering?: Record<string, unknown>;
  created: number;
  modified: number;
}

/** A job resource as jobs.get returns it. */
export interface JobResource {
  kind: 'bigquery#job';
  id: string;
  jobReference: { projectId: string; jobId: string; location: string };
  configuration: Record<string, unknown>;
  status: { state: 'PENDING' | 'RUNNING' | 'DONE'; errorResult?: JobError; errors?: JobError[] };
  statistics: Record<string, unknown>;
}

export interface JobError {
  reason: string;
  message: string;
  location?: string;
}

type MetaKind = 'dataset' | 'table' | 'job';

/**
 * The emulator's state in one DuckDB file: a schema per dataset holding its tables, and the metadata (datasets,
 * table schemas and options, jobs) as JSON rows in `_emulator.meta`, mirrored in memory. DuckDB schema and table
 * names are case-insensitive, so ids are keyed in lower case: `Sales` and `sales` are the same dataset here.
 * Every use of the connection goes through `exclusive`, one at a time.
 */
export class Catalog {
  readonly datasets = new Map<string, DatasetMeta>();
  readonly tables = new Map<string, TableMeta>();
  readonly jobs = new Map<string, JobResource>();
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly conn: DuckDBConnection,
  ) {}

  /** Opens (or creates) `<dataDir>/bigquery.duckdb` and loads the metadata. */
  static async open(dataDir: string): Promise<Catalog> {
    mkdirSync(dataDir, { recursive: true });
    const { DuckDBInstance } = await import('@duckdb/node-api');
    // A memory limit of its own: run in a pipeline's process (no sandbox), DuckDB's default (80% of RAM) let a 5M-row
    // load job take ~400 MB beside the workspace's 300 MB; with a limit, large loads spill to disk as BigQuery's would.
    const instance = await DuckDBInstance.create(path.join(dataDir, 'bigquery.duckdb'), {
      threads: '2',
      memory_limit: EMULATOR_MEMORY_LIMIT,
    });
    const conn = await instance.connect();
    await conn.run(`SET TimeZone = 'UTC'`);
    await conn.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(META_SCHEMA)}; CREATE SCHEMA IF NOT EXISTS ${quoteIdent(RESULTS_SCHEMA)}`);
    await conn.run(
      `CREATE TABLE IF NOT EXISTS ${qualifiedName(META_SCHEMA, 'meta')} (kind VARCHAR, key VARCHAR, body VARCHAR, PRIMARY KEY (kind, key))`,
    );
    const catalog = new Catalog(instance, conn);
    const rows = (await conn.runAndReadAll(`SELECT kind, key, body FROM ${qualifiedName(META_SCHEMA, 'meta')}`)).getRowsJS();
    for (const [kind, key, body] of rows) catalog.remember(kind as MetaKind, String(key), JSON.parse(String(body)));
    return catalog;
  }

  private remember(kind: MetaKind, key: string, value: unknown): void {
    if (kind === 'dataset') this.datasets.set(key, value as DatasetMeta);
    if (kind === 'table') this.tables.set(key, value as TableMeta);
    if (kind === 'job') this.jobs.set(key, value as JobResource);
  }

  /** Runs `fn` with the connection once every earlier use has finished. */
  exclusive<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    const next = this.queue.then(() => fn(this.conn));
    this.queue = next.catch((error: unknown) => {
      // The caller gets this failure through `next`; the queue only needs to move on.
      void error;
    });
    return next;
  }

  /** Writes one metadata record (inside `exclusive`). */
  async save(conn: DuckDBConnection, kind: MetaKind, key: string, value: unknown): Promise<void> {
    await conn.run(`INSERT OR REPLACE INTO ${qualifiedName(META_SCHEMA, 'meta')} VALUES ($1, $2, $3)`, [kind, key, JSON.stringify(value)]);
    this.remember(kind, key, value);
  }

  /** Removes one metadata record (inside `exclusive`). */
  async forget(conn: DuckDBConnection, kind: MetaKind, key: string): Promise<void> {
    await conn.run(`DELETE FROM ${qualifiedName(META_SCHEMA, 'meta')} WHERE kind = $1 AND key = $2`, [kind, key]);
    if (kind === 'dataset') this.datasets.delete(key);
    if (kind === 'table') this.tables.delete(key);
    if (kind === 'job') this.jobs.delete(key);
  }

  /** Waits for queued work, then closes the file. */
  async close(): Promise<void> {
    await this.queue;
    this.conn.closeSync();
    this.instance.closeSync();
  }
}

/** The key of a table in `Catalog.tables`. */
export function tableKey(datasetId: string, tableId: string): string {
  return `${datasetId.toLowerCase()}.${tableId.toLowerCase()}`;
}

/** Ends a job with BigQuery's `errorResult` (reason, message, and the offending URI or field as location). */
export class JobFailure extends Error {
  constructor(
    readonly reason: string,
    message: string,
    readonly location?: string,
  ) {
    super(message);
  }

  /** The `errorResult` object. */
  toJobError(): JobError {
    return { reason: this.reason, message: this.message, ...(this.location ? { location: this.location } : {}) };
  }
}
