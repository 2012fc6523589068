import type { DuckDBConnection } from '@duckdb/node-api';
import type { QueryProgress } from '../model/workspace-types.ts';

/** How often a running query's progress is read: the engine lets one update through every 250 ms anyway. */
const POLL_MS = 250;

/**
 * Makes a connection track query progress without printing a bar. DuckDB computes progress only when the progress
 * bar is enabled, a per-connection setting refused in the instance's config; the PRAGMAs (unlike SET) still work once
 * the workspace has locked its configuration.
 */
export async function enableQueryProgress(conn: DuckDBConnection): Promise<void> {
  await conn.run('PRAGMA enable_progress_bar; PRAGMA disable_print_progress_bar');
}

/**
 * Reads the connection's query progress every 250 ms while a query runs on it and hands each known reading to
 * `report` (DuckDB answers -1 before the first pipeline starts, and for work it cannot measure). Returns the stop
 * function. The reading comes from DuckDB's atomics, so polling from this thread while a worker executes is safe.
 */
export function watchQueryProgress(conn: DuckDBConnection, report: (progress: QueryProgress) => void): () => void {
  const timer = setInterval(() => {
    const { percentage, rows_processed, total_rows_to_process } = conn.progress;
    if (percentage < 0 || total_rows_to_process <= 0n) return;
    report({ rows: Number(rows_processed), totalRows: Number(total_rows_to_process), percent: percentage });
  }, POLL_MS);
  // A watcher must never keep the process alive on its own.
  timer.unref();
  return () => clearInterval(timer);
}
