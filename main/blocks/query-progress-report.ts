import { open, stat } from 'node:fs/promises';
import type { BlockContext } from '../model/block-kind.ts';
import type { QueryProgress } from '../model/workspace-types.ts';

/** Bytes sampled from the start of a CSV to estimate its rows. */
const SAMPLE_BYTES = 1 << 20;

/**
 * Turns DuckDB's progress of a block's query into the block's progress in rows (rate and time left follow from it).
 * The rows are DuckDB's estimate (exact for tables), or `fraction done × estimatedRows` when the caller knows better:
 * DuckDB guesses a CSV's rows from its size and the sniffed sample, which is often off by 2×.
 */
export function reportQueryProgress(ctx: BlockContext, phase: 'read' | 'query', estimatedRows?: number): (progress: QueryProgress) => void {
  return (progress) => {
    const total = estimatedRows ?? progress.totalRows;
    const done = estimatedRows === undefined ? progress.rows : Math.round((estimatedRows * progress.percent) / 100);
    ctx.progress({ phase, done, total, unit: 'rows' });
  };
}

/**
 * Data rows in uncompressed CSV files, estimated from their sizes and the line length of the first file's first MB
 * (exact when it is smaller). Undefined for compressed files, whose size says little about their rows.
 */
export async function estimateCsvRows(files: readonly string[], hasHeader: boolean): Promise<number | undefined> {
  if (files.length === 0 || files.some((file) => /\.(gz|gzip|zst)$/i.test(file))) return undefined;
  const sizes = await Promise.all(files.map(async (file) => (await stat(file)).size));
  const handle = await open(files[0] as string, 'r');
  let sample: Buffer;
  try {
    const { buffer, bytesRead } = await handle.read(
      Buffer.alloc(Math.min(SAMPLE_BYTES, sizes[0] ?? 0)),
      0,
      Math.min(SAMPLE_BYTES, sizes[0] ?? 0),
      0,
    );
    sample = buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  let lines = 0;
  for (let at = sample.indexOf(10); at !== -1; at = sample.indexOf(10, at + 1)) lines++;
  if (lines === 0) return undefined;
  const bytesPerLine = sample.length / lines;
  const totalLines = sizes.reduce((sum, size) => sum + size, 0) / bytesPerLine;
  return Math.max(0, Math.round(totalLines - (hasHeader ? files.length : 0)));
}
