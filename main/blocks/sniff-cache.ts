import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BlockContext } from '../model/block-kind.ts';
import { csvArgs, type ReaderOptions } from './file-formats.ts';
import type { LineScan, SniffedCsv } from './csv-pinned-read.ts';

/** What a file view learns by reading a CSV whole (sniff and line scan). */
export interface CsvFacts {
  sniffed: SniffedCsv;
  scan: LineScan;
}

/**
 * The sniff and line scan of a file that is replaced, never rewritten in place (the download cache's: a new version is
 * a new file), kept under `.pipewright/cache/sniff` by the file's identity (device, inode, size, modification time), the
 * reader options and DuckDB's version: a warm run of an unchanged month skips both reads of its file. Any other file is
 * read each time (`learn`).
 */
export async function cachedCsvFacts(
  ctx: BlockContext,
  /** The file as found (not its private link, which may be a copy when linking is not possible). */
  file: string,
  options: ReaderOptions,
  learn: () => Promise<CsvFacts>,
): Promise<CsvFacts> {
  const key = await factsKey(ctx, file, options);
  const entry = path.join(ctx.cacheDir, 'sniff', `${key}.json`);
  const known = await readFile(entry, 'utf8').then(parseFacts, () => undefined);
  if (known) return known;
  const facts = await learn();
  // Written aside and renamed, so a concurrent run reads a whole entry or none; a failed write only costs the next run a sniff.
  const aside = `${entry}.${process.pid}.tmp`;
  await mkdir(path.dirname(entry), { recursive: true })
    .then(() => writeFile(aside, JSON.stringify(facts)))
    .then(() => rename(aside, entry))
    .catch((error: unknown) => ctx.log('warn', `sniff of ${path.basename(file)} not cached: ${(error as Error).message}`));
  return facts;
}

async function factsKey(ctx: BlockContext, file: string, options: ReaderOptions): Promise<string> {
  const info = await stat(file, { bigint: true });
  const [version] = await ctx.data.queryRows('SELECT library_version AS v FROM pragma_version()');
  const identity = [info.dev, info.ino, info.size, info.mtimeNs, String(version?.v), ...csvArgs(options)];
  return createHash('sha256').update(identity.join('\n')).digest('hex').slice(0, 32);
}

/** The entry's facts, or undefined when it is not what this version writes (then the file is read again). */
function parseFacts(text: string): CsvFacts | undefined {
  try {
    const facts = JSON.parse(text) as Partial<CsvFacts>;
    const { sniffed, scan } = facts;
    if (!sniffed || !Array.isArray(sniffed.columns) || !scan || typeof scan.lines !== 'number') return undefined;
    return { sniffed, scan };
  } catch {
    return undefined; // a torn or foreign entry: read the file instead
  }
}
