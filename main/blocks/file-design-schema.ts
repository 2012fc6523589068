import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import type { DesignContext } from '../model/design-types.ts';
import type { ColumnInfo } from '../model/workspace-types.ts';
import { buildReadSql, resolveFormat, type FileFormat, type ReaderOptions } from './file-formats.ts';
import { cachePathsFor } from './http-download.ts';

/** Bytes of a remote CSV or JSON file read to learn its columns (DuckDB's sniffer reads about this much anyway). */
const SAMPLE_BYTES = 2 * 1024 * 1024;
const HEAD_TIMEOUT_MS = 10_000;

/** A local file's (or glob's) columns, as the source would read them; cached per path, config and mtime. */
export async function localFileColumns(ctx: DesignContext, pattern: string, options: ReaderOptions): Promise<ColumnInfo[] | undefined> {
  const absolute = path.resolve(ctx.project.dir, pattern);
  const format = resolveFormat(options.format, [pattern], { block: ctx.block.id });
  const info = /[*?[{]/.test(pattern) ? undefined : await stat(absolute).catch(() => undefined);
  const fingerprint = info ? `${info.mtimeMs}:${info.size}` : `glob:${Date.now()}`;
  return ctx.cached(`file:${absolute}:${JSON.stringify(options)}`, fingerprint, () =>
    ctx.describeSql(buildReadSql([absolute], format, options)),
  );
}

/**
 * A URL's columns without downloading it all: a complete copy in the download cache is read when there is one,
 * else the first 2 MiB of a CSV or JSON file (gunzipped as far as they go, cut at the last full line). Cached by
 * URL, config and the server's ETag (or Last-Modified). Parquet keeps its schema at the end of the file: without
 * a cached copy it is unknown until the first run.
 */
export async function remoteFileColumns(ctx: DesignContext, url: string, options: ReaderOptions): Promise<ColumnInfo[] | undefined> {
  // A dynamic child's `{{ item.url }}` is only a placeholder before the run: nothing to sample yet.
  if (!/^https?:\/\//i.test(url)) return undefined;
  const format = resolveFormat(options.format, [url], { block: ctx.block.id });
  const cachedBody = await completeDownload(ctx.cacheDir, url);
  if (cachedBody)
    return ctx.cached(`url:${url}:${JSON.stringify(options)}`, `download:${cachedBody.fingerprint}`, () =>
      ctx.describeSql(buildReadSql([cachedBody.path], format, options)),
    );
  if (format === 'parquet') return undefined;
  const version = await remoteVersion(url, ctx.signal);
  return ctx.cached(`url:${url}:${JSON.stringify(options)}`, `etag:${version}`, async () => {
    const sample = await sampleFile(ctx, url, format);
    return ctx.describeSql(buildReadSql([sample], format, options));
  });
}

async function completeDownload(cacheDir: string, url: string): Promise<{ path: string; fingerprint: string } | undefined> {
  const paths = cachePathsFor(cacheDir, url);
  // No cache entry (or an unreadable one) means no complete copy: the caller samples the URL instead.
  const meta = await readFile(paths.meta, 'utf8').then(
    (t) => JSON.parse(t) as { url?: string; file?: string; complete?: boolean; etag?: string; size?: number },
    () => undefined,
  );
  if (!meta?.complete || meta.url !== url || typeof meta.file !== 'string') return undefined;
  const body = path.join(path.dirname(paths.meta), path.basename(meta.file));
  const size = await stat(body).then(
    (s) => s.size,
    () => -1,
  );
  if (size !== meta.size) return undefined;
  return { path: body, fingerprint: `${meta.etag ?? ''}:${size}` };
}

/** The server's ETag, else Last-Modified, else '' (then the first sample is kept until the config changes). */
async function remoteVersion(url: string, signal: AbortSignal): Promise<string> {
  const answer = await fetch(url, {
    method: 'HEAD',
    redirect: 'follow',
    signal: AbortSignal.any([signal, AbortSignal.timeout(HEAD_TIMEOUT_MS)]),
  });
  if (!answer.ok) throw new Error(`HEAD ${url}: HTTP ${answer.status}`);
  return answer.headers.get('etag') ?? answer.headers.get('last-modified') ?? '';
}

/** The first SAMPLE_BYTES of the body (a Range request; a server that ignores it is cut off), as a local file. */
async function sampleFile(ctx: DesignContext, url: string, format: FileFormat): Promise<string> {
  const stop = new AbortController();
  const answer = await fetch(url, {
    headers: { range: `bytes=0-${SAMPLE_BYTES - 1}` },
    redirect: 'follow',
    signal: AbortSignal.any([ctx.signal, stop.signal]),
  });
  if (!answer.ok || !answer.body) throw new Error(`GET ${url}: HTTP ${answer.status}`);
  const chunks: Buffer[] = [];
  let size = 0;
  const reader = answer.body.getReader();
  while (size < SAMPLE_BYTES) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(Buffer.from(value));
    size += value.byteLength;
  }
  stop.abort(); // the rest of the body is not needed
  let bytes = Buffer.concat(chunks).subarray(0, SAMPLE_BYTES);
  // A truncated gzip stream still decompresses up to where it stops.
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
  const lastLine = bytes.lastIndexOf(0x0a);
  if (size >= SAMPLE_BYTES && lastLine > 0) bytes = bytes.subarray(0, lastLine + 1);
  const dir = path.join(ctx.cacheDir, 'schemas');
  await mkdir(dir, { recursive: true });
  const file = path.join(
    dir,
    `sample-${createHash('sha256').update(url).digest('hex').slice(0, 16)}.${format === 'json' ? 'json' : 'csv'}`,
  );
  await writeFile(file, bytes);
  return file;
}
