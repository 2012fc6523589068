import { closeSync, openSync, writeSync } from 'node:fs';
import type { Database } from 'better-sqlite3';
import { isTimeColumn, type HistoryTable } from './history-tables.ts';

/** A batch of one history table written as CSV: how many rows and the mark range they cover. */
export interface HistoryBatch {
  table: HistoryTable;
  file: string;
  rows: number;
  /** The destination's watermark the batch starts after. */
  after: number;
  /** The highest mark in the batch (equals `after` when the batch is empty). */
  upto: number;
}

const FLUSH_BYTES = 1 << 20;

/**
 * Writes the rows of `table` with marks in (after, now] as CSV (no header; NULL unquoted-empty, text always
 * quoted, times as ISO-8601 UTC), `project` first. Reads one snapshot and streams rows to the file in 1 MB writes,
 * so the history never has to fit in memory.
 */
export function writeHistoryCsv(db: Database, table: HistoryTable, project: string, after: number, file: string): HistoryBatch {
  return db.transaction(() => {
    const upto = db.prepare(table.upto).pluck().get() as number;
    const fd = openSync(file, 'w');
    let rows = 0;
    try {
      let buffer = '';
      const isTime = table.columns.slice(1).map(isTimeColumn);
      for (const row of db.prepare(table.select).raw().iterate({ after, upto }) as Iterable<unknown[]>) {
        buffer += `${quoteText(project)},${row.map((value, i) => csvValue(value, isTime[i] ?? false)).join(',')}\n`;
        rows++;
        if (buffer.length >= FLUSH_BYTES) {
          writeSync(fd, buffer);
          buffer = '';
        }
      }
      writeSync(fd, buffer);
    } finally {
      closeSync(fd);
    }
    return { table, file, rows, after, upto: rows === 0 ? after : upto };
  })();
}

function csvValue(value: unknown, isTime: boolean): string {
  if (value === null || value === undefined) return '';
  if (isTime) return new Date(Number(value)).toISOString();
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return quoteText(String(value));
}

function quoteText(value: string): string {
  return `"${value.replaceAll('"', '""')}"`;
}
