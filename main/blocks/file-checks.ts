import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { UserError, type ErrorPlace } from '../model/errors.ts';
import type { FileFormat } from './file-formats.ts';

/** A file to read and the name the user knows it by. */
interface NamedFile {
  path: string;
  display: string;
}

const HEAD_BYTES = 4096;
const HTML_START = /^\s*<(!doctype\s+html|html|head|body)\b/i;
/** An XML document where data was expected: what S3, GCS and Azure answer for an expired or denied signed URL. */
const XML_START = /^\s*<\?xml\b|^\s*<Error>/i;

function isGzipName(file: string): boolean {
  return /\.gz(ip)?$/i.test(file);
}

/**
 * Checks what DuckDB's readers would accept without a word: a truncated gzip file (DuckDB reads up to the cut), an
 * empty CSV or JSON file (DuckDB invents a `column0`) and an HTML page (a login or error page saved as data).
 * Each is a UserError naming the file.
 */
export async function checkFilesBeforeRead(files: readonly NamedFile[], format: FileFormat, place: ErrorPlace): Promise<void> {
  for (const file of files) {
    const where = { ...place, file: file.display };
    if (isGzipName(file.path)) await checkGzipComplete(file, where);
    if (format === 'parquet') continue;
    const head = (await readHead(file.path)).replace(/^\uFEFF/, '');
    if (head.trim() === '') throw new UserError(`${file.display} is empty: no header line and no rows`, where);
    if (HTML_START.test(head)) {
      throw new UserError(`${file.display} is an HTML page, not ${format} (a login, error or download page saved in its place?)`, where);
    }
    if (XML_START.test(head)) {
      const code = /<Code>([^<]{1,100})<\/Code>/.exec(head)?.[1];
      throw new UserError(
        `${file.display} is an XML document, not ${format}${code ? ` (the server said ${code}: an expired or denied link?)` : ''}`,
        where,
      );
    }
  }
}

/** Decompresses the whole file: gzip's own length and checksum trailer tells a cut file from a whole one. */
async function checkGzipComplete(file: NamedFile, where: ErrorPlace): Promise<void> {
  let bytes = 0;
  const count = new Writable({
    write(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      done();
    },
  });
  try {
    await pipeline(createReadStream(file.path), createGunzip(), count);
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'Z_BUF_ERROR' ? 'it ends before its end (truncated)' : (error as Error).message;
    throw new UserError(
      `${file.display} is not a complete gzip file: ${reason}, after ${bytes.toLocaleString('en-US')} bytes of data; ` +
        'replace it with a whole copy (a cut download or copy?)',
      where,
      { cause: error },
    );
  }
}

/** The first few KB of a file as text (decompressed when gzip). */
async function readHead(file: string): Promise<string> {
  const raw = createReadStream(file, isGzipName(file) ? {} : { end: HEAD_BYTES - 1 });
  const stream = isGzipName(file) ? raw.pipe(createGunzip()) : raw;
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= HEAD_BYTES) break;
    }
  } finally {
    stream.destroy();
    raw.destroy();
  }
  return Buffer.concat(chunks).subarray(0, HEAD_BYTES).toString('utf8');
}

/** Where a quoted CSV field opens and is never closed, or undefined. */
export interface UnterminatedQuote {
  line: number;
  column: number;
}

/**
 * Scans a CSV file (RFC 4180 quoting with `"`) for a quoted field that is still open at the end of the file. DuckDB
 * reads such a file without error when its sniffer settled on "no quote character" (it did so because of that
 * very quote), keeping the quote in a value and splitting the rest of the field into rows.
 */
export async function findUnterminatedQuote(file: string, delimiter: string): Promise<UnterminatedQuote | undefined> {
  // Most files without a sniffed quote have no quote at all: a native search settles those at disk speed.
  if (!(await containsByte(file, 0x22))) return undefined;
  const raw = createReadStream(file);
  const stream = isGzipName(file) ? raw.pipe(createGunzip()) : raw;
  const delim = Buffer.from(delimiter)[0] ?? 0x2c;
  const QUOTE = 0x22;
  const NEWLINE = 0x0a;
  let line = 1;
  let column = 1;
  let isFieldStart = true;
  let isQuoted = false;
  let isQuoteSeen = false; // a quote inside a quoted field: closes it, unless the next byte is a quote too
  let open: UnterminatedQuote | undefined;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    for (const byte of chunk) {
      if (isQuoted) {
        if (isQuoteSeen) {
          isQuoteSeen = false;
          if (byte !== QUOTE) isQuoted = false; // closed; this byte is handled below as unquoted
        } else if (byte === QUOTE) {
          isQuoteSeen = true;
        }
      }
      if (!isQuoted) {
        if (isFieldStart && byte === QUOTE) {
          isQuoted = true;
          open = { line, column };
        }
        isFieldStart = byte === delim || byte === NEWLINE;
        if (byte === delim) column++;
      }
      if (byte === NEWLINE) {
        line++;
        if (!isQuoted) column = 1;
      }
    }
  }
  // A quote as the very last byte closes the field.
  return isQuoted && !isQuoteSeen ? open : undefined;
}

async function containsByte(file: string, byte: number): Promise<boolean> {
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  const stream = isGzipName(file) ? raw.pipe(createGunzip()) : raw;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) if (chunk.includes(byte)) return true;
    return false;
  } finally {
    stream.destroy();
    raw.destroy();
  }
}

/** The first line (1-based) longer than `maxBytes`, and its length; undefined when none is. */
export async function findLongLine(file: string, maxBytes: number): Promise<{ line: number; bytes: number } | undefined> {
  const raw = createReadStream(file);
  const stream = isGzipName(file) ? raw.pipe(createGunzip()) : raw;
  let line = 1;
  let length = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let from = 0;
      for (let nl = chunk.indexOf(0x0a, from); nl !== -1; nl = chunk.indexOf(0x0a, from)) {
        length += nl - from;
        if (length > maxBytes) return { line, bytes: length };
        line++;
        length = 0;
        from = nl + 1;
      }
      length += chunk.length - from;
    }
  } finally {
    stream.destroy();
    raw.destroy();
  }
  return length > maxBytes ? { line, bytes: length } : undefined;
}
