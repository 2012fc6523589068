import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { outputTableRef, quoteIdent } from './sql-names.ts';
import type { SharedOutput } from './shared-output.ts';

/** What the workspace learns from a session. */
export interface SessionHooks {
  /** Called before the session creates its output table, so no sweep drops it half-written. */
  willWrite(physical: string): void;
  /** Called once the session's output is a file view (see writeOutputAsFileView). */
  wroteFileView(physical: string): void;
  closed(): void;
}

/** One block attempt's session: what it reads and where it writes. */
export interface SessionSpec {
  blockId: string;
  /** This attempt's output table in `_pw_out`. */
  physical: string;
  /** Readable upstream block ids mapped to the physical tables they resolve to. */
  upstream: ReadonlyMap<string, string>;
  /** A fan-out child's: its item number and the fan-out's shared table, where its SELECT writes when its columns fit. */
  child?: { index: number; shared: SharedOutput };
  /** Row counts of upstream tables, shared by a fan-out's children (output tables never change once written). */
  counts?: Map<string, Promise<number>>;
  /** Where file views keep their linked files (main/data/file-views.ts). */
  fileViewsDir: string;
  /** The workspace's outputs that are file views (kept current by the workspace). */
  fileViews: ReadonlySet<string>;
}

/** A DuckDB connection lent to one session; a fan-out lends the same few to all of its children in turn. */
export interface ConnectionLease {
  readonly conn: DuckDBConnection;
  /** Whether query progress is on (PRAGMA enable_progress_bar): a reused connection keeps it. */
  isProgressOn: boolean;
  /** Gives the connection back; `isReusable` false when a query was cut short or a statement may have changed its state. */
  release(isReusable: boolean): void;
}

/** A connection with one temp view per upstream block (they shadow the pipeline schemas' views). */
export async function openWithViews(instance: DuckDBInstance, upstream: ReadonlyMap<string, string>): Promise<DuckDBConnection> {
  const conn = await instance.connect();
  try {
    for (const [id, physical] of upstream) {
      await conn.run(`CREATE TEMP VIEW ${quoteIdent(id)} AS SELECT * FROM ${outputTableRef(physical)}`);
    }
  } catch (error) {
    conn.closeSync();
    throw error;
  }
  return conn;
}
