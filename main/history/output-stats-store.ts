import type { Database as Connection } from 'better-sqlite3';
import type { OutputStats } from '../model/run-events.ts';

/**
 * Schema step 4: each successful block's output stats (row count, schema, null rates), the baseline the block's
 * next run compares with (drift). Pruning a run removes its stats with its block rows.
 */
export const OUTPUT_STATS_STEP = `
  CREATE TABLE block_stats (
    run_id          TEXT NOT NULL,
    block_id        TEXT NOT NULL,
    -- Copied from runs, so the baseline lookup is one index range scan.
    pipeline_id     TEXT NOT NULL,
    rows            INTEGER NOT NULL,
    columns_json    TEXT NOT NULL,
    -- NULL when the block had no drift: settings (null counts cost a scan).
    null_rates_json TEXT,
    at              INTEGER NOT NULL,
    PRIMARY KEY (run_id, block_id),
    FOREIGN KEY (run_id, block_id) REFERENCES block_runs (run_id, block_id) ON DELETE CASCADE
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX block_stats_by_block ON block_stats (pipeline_id, block_id, at DESC);
  `;

interface StatsRow {
  run_id: string;
  rows: number;
  columns_json: string;
  null_rates_json: string | null;
}

/** Writes and reads block_stats on one connection. */
export class OutputStatsTable {
  private readonly insert;
  private readonly latest;
  private readonly recent;

  constructor(db: Connection) {
    this.insert = db.prepare<
      Record<string, unknown>
    >(`INSERT OR REPLACE INTO block_stats (run_id, block_id, pipeline_id, rows, columns_json, null_rates_json, at)
      SELECT @runId, @blockId, pipeline_id, @rows, @columns, @nullRates, @at FROM runs WHERE id = @runId`);
    this.latest = db.prepare<Record<string, unknown>, StatsRow>(`SELECT run_id, rows, columns_json, null_rates_json FROM block_stats
      WHERE pipeline_id = @pipelineId AND block_id = @blockId ORDER BY at DESC LIMIT 1`);
    this.recent = db.prepare<Record<string, unknown>, StatsRow & { at: number }>(`SELECT run_id, rows, columns_json, null_rates_json, at
      FROM block_stats WHERE pipeline_id = @pipelineId AND block_id = @blockId ORDER BY at DESC LIMIT @limit`);
  }

  /** Records the stats a block.succeeded event carries (inside the caller's transaction). */
  record(e: { runId: string; blockId: string; at: number; stats: OutputStats }): void {
    this.insert.run({
      runId: e.runId,
      blockId: e.blockId,
      at: e.at,
      rows: e.stats.rows,
      columns: JSON.stringify(e.stats.columns),
      nullRates: e.stats.nullRates ? JSON.stringify(e.stats.nullRates) : null,
    });
  }

  /** Row count and schema of the block's last `limit` successful runs, newest first (History's chart). */
  recentOf(
    pipelineId: string,
    blockId: string,
    limit: number,
  ): { runId: string; at: number; rows: number; columns: OutputStats['columns'] }[] {
    return this.recent.all({ pipelineId, blockId, limit }).map((row) => ({
      runId: row.run_id,
      at: row.at,
      rows: row.rows,
      columns: JSON.parse(row.columns_json) as OutputStats['columns'],
    }));
  }

  /** The stats of the block's latest successful run in the pipeline, or undefined before its first one. */
  latestOf(pipelineId: string, blockId: string): { runId: string; stats: OutputStats } | undefined {
    const row = this.latest.get({ pipelineId, blockId });
    if (!row) return undefined;
    const stats: OutputStats = { rows: row.rows, columns: JSON.parse(row.columns_json) as OutputStats['columns'] };
    if (row.null_rates_json) stats.nullRates = JSON.parse(row.null_rates_json) as Record<string, number>;
    return { runId: row.run_id, stats };
  }
}
