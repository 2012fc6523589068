import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { z } from 'zod';
import { UserError, type ErrorPlace } from '../model/errors.ts';
import { quoteIdent, quoteLiteral } from '../data/sql-names.ts';

/** The file formats the file sources read. */
export type FileFormat = 'csv' | 'parquet' | 'json';

// A DuckDB type name as users write it (BIGINT, DECIMAL(10, 2), VARCHAR[]); no quotes, dashes or semicolons,
// because parquet and JSON casts embed it in SQL as written.
const duckdbType = z.string().regex(/^[A-Za-z][A-Za-z0-9_ ,()[\]]*$/, 'a DuckDB type such as BIGINT, DOUBLE, TIMESTAMP or DECIMAL(10, 2)');

/** Reader options shared by the file sources (spread into each block's config schema). */
export const readerOptionFields = {
  /** Default: from the file name (.csv, .csv.gz, .tsv, .parquet, .json, .jsonl, .ndjson, .json.gz). */
  format: z.enum(['csv', 'parquet', 'json']).optional(),
  /** DuckDB types of named columns; other columns are auto-detected. */
  columns: z.record(z.string().min(1), duckdbType).optional(),
  /** strftime-style, e.g. `%Y-%m-%d %H:%M:%S`. */
  timestamp_format: z.string().min(1).optional(),
  date_format: z.string().min(1).optional(),
  /** CSV field separator; auto-detected when absent. */
  delimiter: z.string().min(1).max(4).optional(),
  /** CSV lines to skip before the header (a title or notes above the table); none when absent. */
  skip: z.number().int().min(0).optional(),
  /** CSV quote character; '' reads quotes as ordinary characters. Auto-detected when absent. */
  quote: z.string().max(1).optional(),
  /** Whether the first CSV line names the columns; auto-detected when absent. */
  header: z.boolean().optional(),
  /** `reject` keeps going past rows that do not parse, counts them and keeps them aside (CSV only). */
  on_error: z.enum(['fail', 'reject']).default('fail'),
};

export const readerOptionsSchema = z.strictObject(readerOptionFields);
export type ReaderOptions = z.infer<typeof readerOptionsSchema>;

/** Names of the session tables where DuckDB keeps rejected CSV rows (`on_error: reject`). */
export interface RejectTables {
  errors: string;
  scans: string;
}

const FORMAT_BY_SUFFIX: [RegExp, FileFormat][] = [
  [/\.(csv|tsv|txt)(\.(gz|gzip|zst))?$/i, 'csv'],
  [/\.parquet$/i, 'parquet'],
  [/\.(json|jsonl|ndjson)(\.(gz|gzip|zst))?$/i, 'json'],
];

/** The format a file name or URL implies by its extension (query strings ignored), or undefined. */
export function formatFromFileName(name: string): FileFormat | undefined {
  const bare = /^[a-z][a-z0-9+.-]*:\/\//i.test(name) ? new URL(name).pathname : name;
  return FORMAT_BY_SUFFIX.find(([suffix]) => suffix.test(bare))?.[1];
}

/** The declared format, or the one every name agrees on; a UserError asks for `format` when they do not. */
export function resolveFormat(declared: FileFormat | undefined, names: readonly string[], place: ErrorPlace = {}): FileFormat {
  if (declared) return declared;
  const found = new Set(names.map(formatFromFileName));
  const only = [...found][0];
  if (found.size === 1 && only) return only;
  const which = names.find((n) => formatFromFileName(n) === undefined) ?? names.join(', ');
  throw new UserError(`cannot tell the format of ${which} from its name: set format to csv, parquet or json`, {
    ...place,
    path: 'config.format',
  });
}

/** Rejects options that make no sense for the format, instead of silently ignoring them. */
export function checkOptionsFitFormat(format: FileFormat, options: ReaderOptions, place: ErrorPlace = {}): void {
  if (format === 'csv') return;
  const csvOnly: string[] = [];
  if (options.delimiter !== undefined) csvOnly.push('delimiter');
  if (options.header !== undefined) csvOnly.push('header');
  if (options.quote !== undefined) csvOnly.push('quote');
  if (options.skip !== undefined) csvOnly.push('skip');
  if (options.on_error === 'reject') csvOnly.push('on_error: reject');
  if (format === 'parquet' && options.timestamp_format) csvOnly.push('timestamp_format');
  if (format === 'parquet' && options.date_format) csvOnly.push('date_format');
  if (csvOnly.length > 0) throw new UserError(`${csvOnly.join(', ')} do not apply to ${format} files`, place);
}

/**
 * A SELECT over all `files` with one DuckDB reader call (read_csv / read_parquet / read_json), columns matched by
 * name when there are several files. Declared column types go to the CSV reader itself (so bad values fail with a
 * line number); for parquet and JSON they become casts.
 */
export function buildReadSql(files: readonly string[], format: FileFormat, options: ReaderOptions, rejects?: RejectTables): string {
  const list = `[${files.map(quoteLiteral).join(', ')}]`;
  const args: string[] = [list];
  if (files.length > 1) args.push('union_by_name = true');
  if (format === 'csv') args.push(...csvArgs(options, rejects));
  if (format === 'json') args.push(...temporalArgs(options));
  const reader = format === 'csv' ? 'read_csv' : format === 'parquet' ? 'read_parquet' : 'read_json';
  const from = `${reader}(${args.join(', ')})`;
  const columns = Object.entries(options.columns ?? {});
  if (format === 'csv' || columns.length === 0) return `SELECT * FROM ${from}`;
  const casts = columns.map(([name, type]) => `CAST(${quoteIdent(name)} AS ${type}) AS ${quoteIdent(name)}`);
  return `SELECT * REPLACE (${casts.join(', ')}) FROM ${from}`;
}

/** The read_csv arguments the options ask for (also sniff_csv's: it takes the same). */
export function csvArgs(options: ReaderOptions, rejects?: RejectTables): string[] {
  const args: string[] = [];
  if (options.header !== undefined) args.push(`header = ${options.header}`);
  if (options.delimiter !== undefined) args.push(`delim = ${quoteLiteral(options.delimiter)}`);
  if (options.quote !== undefined) args.push(`quote = ${quoteLiteral(options.quote)}`);
  // Unless told, no lines are skipped: DuckDB's sniffer would otherwise skip every line above a ragged one.
  args.push(`skip = ${options.skip ?? 0}`);
  args.push(...temporalArgs(options));
  const columns = Object.entries(options.columns ?? {});
  if (columns.length > 0)
    args.push(`types = {${columns.map(([name, type]) => `${quoteLiteral(name)}: ${quoteLiteral(type)}`).join(', ')}}`);
  if (options.on_error === 'reject' && rejects) {
    args.push('store_rejects = true', `rejects_table = ${quoteLiteral(rejects.errors)}`, `rejects_scan = ${quoteLiteral(rejects.scans)}`);
  }
  return args;
}

function temporalArgs(options: ReaderOptions): string[] {
  const args: string[] = [];
  if (options.timestamp_format) args.push(`timestampformat = ${quoteLiteral(options.timestamp_format)}`);
  if (options.date_format) args.push(`dateformat = ${quoteLiteral(options.date_format)}`);
  return args;
}

/** What DuckDB's CSV reader says about a row it could not read. */
export interface CsvReadFailure {
  /** The file as DuckDB opened it. */
  file?: string;
  line?: number;
  /** Column name, when the failure is a value that does not convert. */
  column?: string;
  delimiter?: string;
  /** Short reason: `could not convert "ten" to BIGINT`, `expected 3 fields, found 2`. */
  reason: string;
  originalLine?: string;
}

/** Parses DuckDB's "CSV Error on Line: N" messages; undefined for any other error. */
export function parseCsvError(message: string): CsvReadFailure | undefined {
  const line = /CSV Error on Line: (\d+)/.exec(message)?.[1];
  if (line === undefined) return undefined;
  const failure: CsvReadFailure = { line: Number(line), reason: firstReason(message) };
  const file = /^\s*file = (.+)$/m.exec(message)?.[1];
  if (file) failure.file = file.trim();
  const column = /Error when converting column "((?:[^"]|"")*)"/.exec(message)?.[1];
  if (column !== undefined) failure.column = column.replaceAll('""', '"');
  const delimiter = /^\s*delimiter = (.*?) \((?:Auto-Detected|Set By User)\)$/m.exec(message)?.[1];
  if (delimiter !== undefined) failure.delimiter = delimiter === '\\t' ? '\t' : delimiter;
  const original = /^Original Line: (.*)$/m.exec(message)?.[1];
  if (original !== undefined) failure.originalLine = original;
  return failure;
}

function firstReason(message: string): string {
  const convert = /Could not convert string "((?:[^"\\]|\\.)*)" to '([^']+)'/.exec(message);
  if (convert) return `could not convert "${convert[1]}" to ${convert[2]}`;
  const count = /Expected Number of Columns: (\d+) Found: (\d+)/.exec(message);
  if (count) return `expected ${count[1]} fields, found ${count[2]}`;
  const lines = message.split('\n').map((l) => l.trim());
  return lines.find((l, i) => i > 0 && l !== '' && !l.startsWith('Original Line')) ?? lines[0] ?? message;
}

/** 1-based position of the first field that differs from the expected field count (the extra or missing one). */
export function raggedColumn(reason: string): number | undefined {
  const count = /expected (\d+) fields, found (\d+)/.exec(reason);
  if (!count) return undefined;
  return Math.min(Number(count[1]), Number(count[2])) + 1;
}

/** The first `max` lines of a text file, gunzipped when its name ends in .gz; stops reading once it has them. */
export async function readLeadingLines(file: string, max: number): Promise<string[]> {
  const raw = createReadStream(file);
  const text = /\.gz(ip)?$/i.test(file) ? raw.pipe(createGunzip()) : raw;
  const reader = createInterface({ input: text, crlfDelay: Infinity });
  const lines: string[] = [];
  try {
    for await (const line of reader) {
      lines.push(line);
      if (lines.length >= max) break;
    }
  } finally {
    reader.close();
    text.destroy();
    raw.destroy();
  }
  return lines;
}

/** Splits one CSV line into fields, honouring double quotes (enough for diagnostics, not a full CSV parser). */
export function splitCsvFields(line: string, delimiter: string): string[] {
  const fields: string[] = [];
  let current = '';
  let isQuoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (ch === '"') {
      if (isQuoted && line[i + 1] === '"') {
        current += '"';
        i++;
      } else isQuoted = !isQuoted;
    } else if (!isQuoted && line.startsWith(delimiter, i)) {
      fields.push(current);
      current = '';
      i += delimiter.length - 1;
    } else current += ch;
  }
  fields.push(current);
  return fields;
}

/** The delimiter a header line most likely uses, among the usual ones. */
export function guessDelimiter(headerLine: string): string {
  const counts = [',', '\t', ';', '|'].map((d) => [d, splitCsvFields(headerLine, d).length] as const);
  return counts.reduce((best, next) => (next[1] > best[1] ? next : best))[0];
}

/** DuckDB's CSV sniffer looks at this many rows; a ragged row among them defeats it. */
const SNIFF_ROWS = 20_480;

/**
 * The first line (1-based, within the sniffed sample) whose field count differs from the first line's, with the
 * 1-based column where it goes wrong; undefined when every sampled line has the same number of fields.
 */
export async function findRaggedLine(
  file: string,
  delimiter?: string,
): Promise<{ line: number; column: number; reason: string } | undefined> {
  const lines = await readLeadingLines(file, SNIFF_ROWS + 1);
  const first = lines[0];
  if (first === undefined) return undefined;
  const delim = delimiter ?? guessDelimiter(first);
  const expected = splitCsvFields(first, delim).length;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line === '' && i === lines.length - 1) break;
    const found = splitCsvFields(line, delim).length;
    if (found !== expected) {
      const reason = `expected ${expected} fields, found ${found}`;
      return { line: i + 1, column: raggedColumn(reason) ?? found, reason };
    }
  }
  return undefined;
}
