import path from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from '../history/migrations.ts';
import type { HistoryBatch } from './history-csv.ts';
import { writeHistoryCsv } from './history-csv.ts';
import { HISTORY_TABLES, type HistoryTable } from './history-tables.ts';

/** Where exported history goes; its own contents hold the watermark of each table. */
export interface HistoryDestination {
  readonly label: string;
  /** The highest mark of `table` the destination already holds (0 when none). */
  watermark(table: HistoryTable): Promise<number>;
  /** Writes one batch atomically (all of it or nothing). */
  write(batch: HistoryBatch, log: (message: string) => void): Promise<void>;
}

/** Rows exported per table, and the mark range they covered. */
export interface ExportedTable {
  table: HistoryTable['name'];
  rows: number;
  after: number;
  upto: number;
}

export interface ExportHistoryOptions {
  /** `.pipewright/history.sqlite` of the project. */
  historyFile: string;
  /** The project's name: rows carry it, so several projects can share one destination. */
  project: string;
  /** A folder for the batch CSVs (removed by the caller). */
  tempDir: string;
  log(message: string): void;
  signal?: AbortSignal;
}

/**
 * Exports finished runs, their block runs and all log lines that the destination does not hold yet, table by
 * table. Each table's watermark is read from the destination, so re-running exports nothing twice, and a run cut
 * short simply continues where the destination stands. Runs still going are exported once they finish.
 */
export async function exportRunHistory(destination: HistoryDestination, opts: ExportHistoryOptions): Promise<ExportedTable[]> {
  const db = new Database(opts.historyFile, { timeout: 5_000 });
  try {
    migrate(db, opts.historyFile); // a history last written by an older Pipewright lacks the finish order
    const exported: ExportedTable[] = [];
    for (const table of HISTORY_TABLES) {
      opts.signal?.throwIfAborted();
      const after = await destination.watermark(table);
      const batch = writeHistoryCsv(db, table, opts.project, after, path.join(opts.tempDir, `${table.name}.csv`));
      if (batch.rows > 0) await destination.write(batch, opts.log);
      opts.log(
        `${table.name}: ${batch.rows === 0 ? 'nothing new' : `${batch.rows} rows (marks ${after + 1}–${batch.upto})`} → ${destination.label}`,
      );
      exported.push({ table: table.name, rows: batch.rows, after, upto: batch.upto });
    }
    return exported;
  } finally {
    db.close();
  }
}
