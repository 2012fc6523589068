import type { Database } from 'better-sqlite3';

export interface HistoryPruneRequest {
  /** Finished runs that ended before this time (ms since the epoch) are deleted with everything recorded about them. */
  runsBefore?: number;
  /** Log lines written before this time are deleted. */
  logsBefore?: number;
  /** Count only. */
  isDryRun?: boolean;
}

export interface HistoryPruneCounts {
  runs: number;
  /** Log lines deleted, those of deleted runs included. */
  logs: number;
}

// The newest log line always stays (and so does its run): SQLite numbers a new row max(id) + 1, so deleting the newest
// lines would hand their ids out again, and the log export (main/history-export), whose watermark is the last id
// exported, would skip the new lines.
const NEWEST_LOG_RUN = `coalesce((SELECT run_id FROM logs ORDER BY id DESC LIMIT 1), '')`;
const RUNS = `FROM runs WHERE status <> 'running' AND coalesce(finished_at, started_at) < @runsBefore AND id <> ${NEWEST_LOG_RUN}`;
const LOGS = `FROM logs WHERE (at < @logsBefore OR run_id IN (SELECT id ${RUNS})) AND id < (SELECT max(id) FROM logs)`;

/**
 * Deletes (or, dry, counts) old runs and log lines in one transaction. Running runs are never touched; deleting a
 * run cascades to its blocks, attempts, metrics and logs (foreign keys must be on, as the run store sets them).
 */
export function pruneHistory(db: Database, request: HistoryPruneRequest): HistoryPruneCounts {
  const params = { runsBefore: request.runsBefore ?? -1, logsBefore: request.logsBefore ?? -1 };
  return db
    .transaction(() => {
      const counts = {
        runs: db.prepare(`SELECT count(*) ${RUNS}`).pluck().get(params) as number,
        logs: db.prepare(`SELECT count(*) ${LOGS}`).pluck().get(params) as number,
      };
      if (!request.isDryRun) {
        db.prepare(`DELETE ${LOGS}`).run(params);
        db.prepare(`DELETE ${RUNS}`).run(params);
      }
      return counts;
    })
    .immediate();
}
