import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { quoteLiteral } from '../data/sql-names.ts';
import type { HistoryBatch } from './history-csv.ts';
import type { HistoryTable } from './history-tables.ts';

const MARK_DIGITS = 12;

/**
 * History as Parquet files: `<dir>/<table>/<project>-<first mark>-<last mark>.parquet`, one file per export. The
 * file names are the watermark, so the folder alone says what was exported; a file appears by rename only once
 * complete, so an interrupted export leaves nothing half-written and is simply done again.
 */
export class ParquetDestination {
  readonly label: string;

  constructor(
    private readonly dir: string,
    private readonly project: string,
  ) {
    this.label = `Parquet files in ${dir}`;
  }

  /** The highest mark already exported for `table` (0 when none). */
  async watermark(table: HistoryTable): Promise<number> {
    const names = await readdir(path.join(this.dir, table.name)).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    });
    const prefix = `${fileSafe(this.project)}-`;
    let mark = 0;
    for (const name of names) {
      const match = /-(\d+)-(\d+)\.parquet$/.exec(name);
      if (name.startsWith(prefix) && match && name.length === prefix.length + 2 * MARK_DIGITS + 9) mark = Math.max(mark, Number(match[2]));
    }
    return mark;
  }

  /** Converts the batch's CSV to one Parquet file, which appears under its final name only once complete. */
  async write(batch: HistoryBatch): Promise<void> {
    const folder = path.join(this.dir, batch.table.name);
    const name = `${fileSafe(this.project)}-${pad(batch.after + 1)}-${pad(batch.upto)}.parquet`;
    const partial = path.join(folder, `.${name}.partial`);
    await mkdir(folder, { recursive: true });
    try {
      await writeParquetFile(batch, partial);
      await rename(partial, path.join(folder, name));
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
  }
}

/** Converts a batch's CSV to a Parquet file with DuckDB: typed columns, times as TIMESTAMPTZ, zstd. */
export async function writeParquetFile(batch: HistoryBatch, target: string): Promise<void> {
  const columns = `{${batch.table.columns.map((c) => `${quoteLiteral(c.name)}: ${quoteLiteral(c.duckType)}`).join(', ')}}`;
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  try {
    const conn = await instance.connect();
    // allow_quoted_nulls = false: "" is an empty string, only an unquoted empty field is NULL (as Postgres reads it).
    await conn.run(`COPY (SELECT * FROM read_csv(${quoteLiteral(batch.file)}, header = false, columns = ${columns},
        quote = '"', escape = '"', allow_quoted_nulls = false))
      TO ${quoteLiteral(target)} (FORMAT parquet, COMPRESSION zstd)`);
    conn.closeSync();
  } finally {
    instance.closeSync();
  }
}

function pad(mark: number): string {
  return String(mark).padStart(MARK_DIGITS, '0');
}

/** The project name as a file-name part: letters, digits, `_` and `.` only. */
function fileSafe(name: string): string {
  return name.replace(/[^A-Za-z0-9_.]+/g, '_');
}
