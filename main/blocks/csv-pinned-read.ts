import { open } from 'node:fs/promises';
import type { BlockContext } from '../model/block-kind.ts';
import { quoteLiteral } from '../data/sql-names.ts';
import { csvArgs, type ReaderOptions } from './file-formats.ts';

/** What DuckDB's sniffer settled on for a CSV file: enough to read it again without sniffing. */
export interface SniffedCsv {
  delimiter: string;
  quote: string;
  escape: string;
  newLine: string;
  comment: string;
  skipRows: number;
  hasHeader: boolean;
  columns: { name: string; type: string }[];
  dateFormat?: string;
  timestampFormat?: string;
}

/** sniff_csv says `(empty)` for an option it found absent. */
const empty = (value: unknown): string => (value === null || value === undefined || value === '(empty)' ? '' : String(value));

/** Sniffs `file` with the block's reader options (declared types, formats, header, delimiter) as read_csv would. */
export async function sniffCsv(ctx: BlockContext, file: string, options: ReaderOptions): Promise<SniffedCsv> {
  const args = [quoteLiteral(file), ...csvArgs(options)].join(', ');
  const [row] = await ctx.data.queryRows(
    `SELECT Delimiter, Quote, Escape, NewLineDelimiter, Comment, SkipRows, HasHeader, Columns, DateFormat, TimestampFormat FROM sniff_csv(${args})`,
  );
  if (!row) throw new Error(`sniff_csv returned nothing for ${file}`);
  const columns = (row.Columns as { name: string; type: string }[]).map((c) => ({ name: String(c.name), type: String(c.type) }));
  return {
    delimiter: empty(row.Delimiter),
    quote: empty(row.Quote),
    escape: empty(row.Escape),
    newLine: empty(row.NewLineDelimiter),
    comment: empty(row.Comment),
    skipRows: Number(row.SkipRows),
    hasHeader: row.HasHeader === true,
    columns,
    ...(empty(row.DateFormat) ? { dateFormat: empty(row.DateFormat) } : {}),
    ...(empty(row.TimestampFormat) ? { timestampFormat: empty(row.TimestampFormat) } : {}),
  };
}

/**
 * A SELECT reading `file` with everything the sniffer found written out (auto_detect off): binding it costs nothing,
 * where a sniffing read_csv samples the file again at every bind (a preview, each query of the reading block).
 */
export function pinnedReadSql(file: string, sniffed: SniffedCsv, options: ReaderOptions): string {
  const columns = sniffed.columns.map((c) => `${quoteLiteral(c.name)}: ${quoteLiteral(c.type)}`).join(', ');
  const timestampFormat = options.timestamp_format ?? sniffed.timestampFormat;
  const dateFormat = options.date_format ?? sniffed.dateFormat;
  const args = [
    quoteLiteral(file),
    'auto_detect = false',
    `delim = ${quoteLiteral(sniffed.delimiter)}`,
    `quote = ${quoteLiteral(sniffed.quote)}`,
    `escape = ${quoteLiteral(sniffed.escape)}`,
    `new_line = ${quoteLiteral(sniffed.newLine)}`,
    `comment = ${quoteLiteral(sniffed.comment)}`,
    `skip = ${sniffed.skipRows}`,
    `header = ${sniffed.hasHeader}`,
    `columns = {${columns}}`,
    ...(timestampFormat ? [`timestampformat = ${quoteLiteral(timestampFormat)}`] : []),
    ...(dateFormat ? [`dateformat = ${quoteLiteral(dateFormat)}`] : []),
  ];
  return `SELECT * FROM read_csv(${args.join(', ')})`;
}

const NL = 10;
const CHUNK = 1 << 22;

/** A file's line ends, counted: `lines` (a last line without its end included), and whether any line is blank. */
export interface LineScan {
  lines: number;
  hasBlankLine: boolean;
  /** Whether a `"` occurs anywhere in the file; absent when the scan stopped early (at a blank line). */
  hasQuote?: boolean;
}

const QUOTE = 0x22;

/**
 * Counts `\n` line ends and looks for a quote (much cheaper than a parse: it runs beside DuckDB's sniff of the same
 * file; the quote answers the unclosed-quote check without reading the file again).
 */
export async function scanLineEnds(file: string): Promise<LineScan> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(CHUNK);
    let lines = 0;
    let hasQuote = false;
    let last = NL; // the byte before the file counts as a line end: a leading blank line is caught too
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, CHUNK, null);
      if (bytesRead === 0) break;
      const chunk = bytesRead === CHUNK ? buffer : buffer.subarray(0, bytesRead);
      hasQuote ||= chunk.includes(QUOTE);
      for (let at = chunk.indexOf(NL); at !== -1; at = chunk.indexOf(NL, at + 1)) {
        if ((at === 0 ? last : chunk[at - 1]) === NL) return { lines, hasBlankLine: true };
        lines++;
      }
      last = chunk[bytesRead - 1] ?? last;
    }
    return { lines: last === NL ? lines : lines + 1, hasBlankLine: false, hasQuote };
  } finally {
    await handle.close();
  }
}

/**
 * The rows of a CSV without quoting, `\n` line ends and no blank line, from its line ends; undefined when the file is
 * not that simple, and DuckDB must count.
 */
export function simpleCsvRows(scan: LineScan, sniffed: SniffedCsv): number | undefined {
  if (sniffed.quote !== '' || sniffed.comment !== '' || sniffed.newLine !== '\\n' || scan.hasBlankLine) return undefined;
  return Math.max(0, scan.lines - sniffed.skipRows - (sniffed.hasHeader ? 1 : 0));
}

/** simpleCsvRows of a file. */
export async function countSimpleCsvRows(file: string, sniffed: SniffedCsv): Promise<number | undefined> {
  return simpleCsvRows(await scanLineEnds(file), sniffed);
}
