import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { OperationalError, UserError } from '../model/errors.ts';
import { abortReason, sleep } from '../model/abort.ts';
import type { LogLevel } from '../model/run-events.ts';
import { httpGet, type HttpAnswer } from './http-get.ts';
import { computeBackoffMs, DEFAULT_BACKOFF, parseRetryAfterMs, type BackoffOptions } from '../model/backoff.ts';

export interface DownloadOptions {
  /** `.pipewright/cache`; downloads live under its `http/` folder. */
  cacheDir: string;
  signal: AbortSignal;
  /** Retries after the first attempt (default 3). */
  retries?: number;
  /** A request that yields no response or no bytes for this long is abandoned and retried (default 60 s). */
  idleTimeoutMs?: number;
  backoff?: BackoffOptions;
  /** Cap on a server's Retry-After (default 2 min). */
  maxRetryAfterMs?: number;
  random?: () => number;
  onProgress?: (done: number, total: number | undefined) => void;
  log?: (level: LogLevel, message: string) => void;
  /**
   * Store a `.gz` body decompressed (while it downloads). DuckDB reads a plain CSV with every core, a gzip one
   * with one: the bigger cache file buys a much faster load on every later run.
   */
  decompressGzip?: boolean;
}

/** Past this many decompressed bytes, a ratio over MAX_GZIP_RATIO to the compressed bytes is a decompression bomb. */
const BOMB_CHECK_AFTER_BYTES = 64 * 1024 * 1024;
const MAX_GZIP_RATIO = 200;

export interface DownloadResult {
  /** The complete body in the cache. */
  path: string;
  bytes: number;
  /** True when the server answered 304 and the cached body was reused. */
  cached: boolean;
  attempts: number;
}

/** What the cache remembers about a URL, beside its body. */
interface CacheEntry {
  url: string;
  /** The body's file name in the cache folder. */
  file: string;
  etag?: string;
  lastModified?: string;
  size: number;
  complete: boolean;
  fetchedAt: number;
}

/** A failure of one attempt that another attempt may not repeat (429, 5xx, cut or stalled transfer, network). */
class RetryableFailure extends Error {
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** Where the cache keeps a URL's body and metadata: a hash of the URL plus its file name, so extensions (.csv.gz) survive. */
export function cachePathsFor(cacheDir: string, url: string): { body: string; meta: string } {
  const hash = createHash('sha256').update(url).digest('hex').slice(0, 20);
  const last = new URL(url).pathname.split('/').at(-1) ?? '';
  const name =
    safeDecode(last)
      .replace(/[^A-Za-z0-9._-]/g, '_')
      .slice(-80) || 'download';
  const base = path.join(cacheDir, 'http', `${hash}-${name}`);
  return { body: base, meta: `${base}.meta.json` };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    // A malformed %-escape only affects the cache file's name: keep the raw text.
    return text;
  }
}

/**
 * Makes `url`'s body available as a local file in the cache, streaming it to disk. A cached copy is revalidated
 * (If-None-Match / If-Modified-Since) and reused on 304. Transient failures are retried with backoff; the cache
 * only ever holds complete bodies. Rejects with OperationalError (permanent for 4xx) or the abort reason.
 */
export async function downloadToCache(url: string, opts: DownloadOptions): Promise<DownloadResult> {
  checkHttpUrl(url);
  const paths = cachePathsFor(opts.cacheDir, url);
  await mkdir(path.dirname(paths.body), { recursive: true });
  const cached = await readCachedCopy(paths, url);
  const retries = opts.retries ?? 3;
  let last: RetryableFailure | undefined;
  for (let attempt = 1; attempt <= retries + 1; attempt++) {
    if (opts.signal.aborted) throw abortReason(opts.signal);
    try {
      return { ...(await attemptDownload(url, paths, cached, opts)), attempts: attempt };
    } catch (error) {
      if (opts.signal.aborted) throw abortReason(opts.signal);
      last = asRetryable(error, url);
      if (attempt > retries) break;
      const delayMs = last.retryAfterMs ?? computeBackoffMs(attempt, opts.backoff ?? DEFAULT_BACKOFF, opts.random);
      opts.log?.('warn', `GET ${url}: ${last.message}; retrying in ${delayMs} ms (attempt ${attempt + 1} of ${retries + 1})`);
      await sleep(delayMs, opts.signal);
    }
  }
  const attempts = retries + 1;
  throw new OperationalError(
    `GET ${url} failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${last?.message ?? 'unknown error'}`,
    {
      cause: last,
      ...(last?.retryAfterMs !== undefined ? { retryAfterMs: last.retryAfterMs } : {}),
    },
  );
}

function checkHttpUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UserError(`not a valid URL: ${url}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new UserError(`only http(s) URLs can be downloaded, got ${parsed.protocol} in ${url} (use source/local_file for files)`);
  }
}

/** One request: 304 reuses the cache, 2xx streams into a `.part` file renamed into place only when complete. */
async function attemptDownload(url: string, paths: { body: string; meta: string }, cached: CachedCopy | undefined, opts: DownloadOptions) {
  const controller = new AbortController();
  const onAbort = () => controller.abort(opts.signal.reason);
  opts.signal.addEventListener('abort', onAbort, { once: true });
  const idleMs = opts.idleTimeoutMs ?? 60_000;
  const idle = startIdleTimer(idleMs, () => controller.abort(new RetryableFailure(`no data for ${idleMs / 1000} s (idle timeout)`)));
  let part: string | undefined;
  let sink: WriteStream | undefined;
  let answer: HttpAnswer | undefined;
  try {
    const res = (answer = await httpGet(url, { headers: requestHeaders(cached), signal: controller.signal }));
    idle.touch();
    if (res.status === 304 && cached) {
      res.discard();
      opts.log?.('info', `cached: ${url} not modified (304), reusing ${formatBytes(cached.size)}`);
      return { path: cached.path, bytes: cached.size, cached: true };
    }
    if (res.status < 200 || res.status > 299) {
      res.discard();
      throw statusFailure(res, url, opts.maxRetryAfterMs ?? 120_000);
    }
    const total = expectedLength(res);
    // A server may send a .gz file with Content-Encoding: gzip (S3 does for some): its bytes arrive decoded.
    const gunzip = opts.decompressGzip === true && !res.isDecoded && /\.gz$/i.test(paths.body);
    const body = res.isDecoded || gunzip ? paths.body.replace(/\.(gz|gzip|zst|br)$/i, '') : paths.body;
    part = `${body}.${process.pid}-${randomBytes(4).toString('hex')}.part`;
    const started = Date.now();
    let done = 0;
    const count = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        done += chunk.length;
        idle.touch();
        opts.onProgress?.(done, total);
        callback(null, chunk);
      },
    });
    const stages = gunzip ? [count, createGunzip(), bombGuard(() => done, url)] : [count];
    sink = createWriteStream(part);
    await pipeline([res.body, ...stages, sink], { signal: controller.signal }).catch((error: unknown) => {
      throw isZlibError(error) ? new RetryableFailure(`the gzip data is cut or corrupt (${(error as Error).message})`) : error;
    });
    if (total !== undefined && done !== total) throw new RetryableFailure(`connection closed after ${done} of ${total} bytes`);
    const stored = gunzip ? (await stat(part)).size : done;
    await commitToCache(part, body, paths.meta, cached, {
      url,
      file: path.basename(body),
      size: stored,
      complete: true,
      fetchedAt: Date.now(),
      ...validators(res),
    });
    opts.log?.('info', `downloaded ${url} (${formatBytes(done)} in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return { path: body, bytes: done, cached: false };
  } catch (error) {
    const reason: unknown = controller.signal.reason;
    throw controller.signal.aborted && reason instanceof RetryableFailure ? reason : error;
  } finally {
    idle.stop();
    answer?.discard(); // frees the connection of a failed transfer; a finished one is back in the pool already
    opts.signal.removeEventListener('abort', onAbort);
    // A stream destroyed before its file opened still creates it: removed only once the stream has closed.
    if (sink && !sink.closed) await new Promise<void>((resolve) => sink?.once('close', () => resolve()));
    if (part) await rm(part, { force: true });
  }
}

/** Stops a gzip body that inflates far beyond any real data file (a decompression bomb). */
function bombGuard(compressedBytes: () => number, url: string): Transform {
  let inflated = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      inflated += chunk.length;
      if (inflated > BOMB_CHECK_AFTER_BYTES && inflated > MAX_GZIP_RATIO * compressedBytes()) {
        callback(
          new OperationalError(`${url} inflates more than ${MAX_GZIP_RATIO}x: refusing a likely decompression bomb`, { permanent: true }),
        );
        return;
      }
      callback(null, chunk);
    },
  });
}

function isZlibError(error: unknown): boolean {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' && error.code.startsWith('Z_');
}

function requestHeaders(cached: CacheEntry | undefined): Record<string, string> {
  // Identity encoding keeps Content-Length meaningful and the cached bytes equal to the published file.
  const headers: Record<string, string> = { 'accept-encoding': 'identity', 'user-agent': 'pipewright' };
  if (cached?.etag) headers['if-none-match'] = cached.etag;
  if (cached?.lastModified) headers['if-modified-since'] = cached.lastModified;
  return headers;
}

/** Content-Length, when it describes the bytes we will receive (not after a transparent decompression). */
function expectedLength(res: HttpAnswer): number | undefined {
  if (res.isDecoded) return undefined;
  const length = Number(res.header('content-length') ?? NaN);
  return Number.isFinite(length) && length >= 0 ? length : undefined;
}

function validators(res: HttpAnswer): { etag?: string; lastModified?: string } {
  const etag = res.header('etag');
  const lastModified = res.header('last-modified');
  return { ...(etag ? { etag } : {}), ...(lastModified ? { lastModified } : {}) };
}

function statusFailure(res: HttpAnswer, url: string, maxRetryAfterMs: number): Error {
  const status = `${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
  if (res.status === 429 || res.status === 408 || res.status >= 500) {
    return new RetryableFailure(`server answered ${status}`, parseRetryAfterMs(res.header('retry-after') ?? null, maxRetryAfterMs));
  }
  return new OperationalError(`GET ${url} answered ${status}; not retrying`, { permanent: true });
}

/** Network-level failures are retryable; local disk failures and our own errors are not. */
function asRetryable(error: unknown, url: string): RetryableFailure {
  if (error instanceof RetryableFailure) return error;
  if (error instanceof OperationalError || error instanceof UserError) throw error;
  const code = errorCode(error);
  if (error instanceof Error && 'syscall' in error && 'path' in error) {
    throw new OperationalError(`cannot write the download cache for ${url}: ${error.message}`, { permanent: true, cause: error });
  }
  if (error instanceof Error && (error.name === 'TypeError' || code !== undefined)) {
    return new RetryableFailure(describeNetworkError(error, code));
  }
  throw error;
}

function errorCode(error: unknown): string | undefined {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    if ('code' in e && typeof e.code === 'string') return e.code;
  }
  return undefined;
}

const NETWORK_WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'DNS lookup failed',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed before the end of the body',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
};

function describeNetworkError(error: Error, code: string | undefined): string {
  const words = code ? NETWORK_WORDS[code] : undefined;
  const detail = error.cause instanceof Error ? error.cause.message : error.message;
  return words ? `${words} (${code})` : `${error.message}${detail !== error.message ? ` (${detail})` : ''}`;
}

/** A complete cached body, with the metadata that revalidates it. */
type CachedCopy = CacheEntry & { path: string };

async function readCachedCopy(paths: { body: string; meta: string }, url: string): Promise<CachedCopy | undefined> {
  try {
    const entry = JSON.parse(await readFile(paths.meta, 'utf8')) as CacheEntry;
    if (entry.url !== url || !entry.complete || typeof entry.file !== 'string') return undefined;
    const body = path.join(path.dirname(paths.meta), path.basename(entry.file));
    const size = (await stat(body)).size;
    return size === entry.size ? { ...entry, path: body } : undefined;
  } catch (error) {
    // No usable cache entry (absent, unreadable or half-written): the URL is simply downloaded again.
    if (errorCode(error) === 'ENOENT' || error instanceof SyntaxError) return undefined;
    throw error;
  }
}

/** Removes the old metadata first so a crash between steps leaves no entry pointing at the wrong body. */
async function commitToCache(part: string, body: string, meta: string, previous: CachedCopy | undefined, entry: CacheEntry): Promise<void> {
  await rm(meta, { force: true });
  if (previous && previous.path !== body) await rm(previous.path, { force: true });
  await rename(part, body);
  const tmpMeta = `${meta}.${process.pid}.tmp`;
  await writeFile(tmpMeta, JSON.stringify(entry));
  await rename(tmpMeta, meta);
}

function startIdleTimer(ms: number, onIdle: () => void): { touch(): void; stop(): void } {
  let last = Date.now();
  const timer = setInterval(
    () => {
      if (Date.now() - last >= ms) onIdle();
    },
    Math.max(10, Math.min(1000, ms / 4)),
  );
  return { touch: () => (last = Date.now()), stop: () => clearInterval(timer) };
}

/** `12.3 MB`-style size for logs. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
