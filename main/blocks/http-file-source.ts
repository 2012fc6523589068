import { z } from 'zod';
import type { BlockContext, BlockKind } from '../model/block-kind.ts';
import { checkOptionsFitFormat, readerOptionFields, resolveFormat } from './file-formats.ts';
import { downloadToCache, type DownloadResult } from './http-download.ts';
import { readFilesIntoOutput, type SourceFile } from './local-file-source.ts';
import { remoteFileColumns } from './file-design-schema.ts';
import { DEFAULT_BACKOFF, type BackoffOptions } from '../model/backoff.ts';

const configSchema = z.strictObject({
  /** One URL or several with the same columns (read as one table, columns matched by name). */
  url: z.union([z.string().min(1), z.array(z.string().min(1)).min(1, 'give at least one URL')]),
  ...readerOptionFields,
  /** Seconds a request may stall (no response, or no bytes) before it is abandoned and retried. */
  timeout: z.number().positive().optional(),
  /** HTTP-level retries of each download (429, 5xx, network errors), before the block itself fails. */
  retries: z.number().int().min(0).max(20).default(3),
});
type HttpFileConfig = z.infer<typeof configSchema>;

/** Downloads run this many at a time when a block lists several URLs. */
const PARALLEL_DOWNLOADS = 3;

/** What tests may inject: small backoff delays and a fixed jitter. */
export interface HttpFileSourceDeps {
  backoff?: BackoffOptions;
  random?: () => number;
}

/** The `source/http_file` kind with injectable retry timing (tests); `httpFileSource` is the real one. */
export function createHttpFileSource(deps: HttpFileSourceDeps = {}): BlockKind<HttpFileConfig> {
  return {
    type: 'source',
    kind: 'http_file',
    title: 'File over HTTP (CSV, Parquet, JSON)',
    configSchema,
    code: 'none',
    async run(ctx, config) {
      const urls = [...new Set(Array.isArray(config.url) ? config.url : [config.url])];
      // Settle the format before downloading anything, so a bad config fails fast.
      const format = resolveFormat(config.format, urls, { block: ctx.block.id });
      checkOptionsFitFormat(format, config, { block: ctx.block.id });
      const downloads = await downloadAll(ctx, urls, config, deps);
      const files: SourceFile[] = downloads.map((d, i) => ({ path: d.path, display: urls[i] ?? d.path }));
      // The cache renames each complete download over the old body, never rewrites one: a file view may link it.
      const { rows } = await readFilesIntoOutput(ctx, files, { ...config, format }, { isReplacedNeverRewritten: true });
      return { rowsOut: rows, bytes: downloads.reduce((sum, d) => sum + d.bytes, 0), hasOutput: true };
    },
    // One URL's columns stand for all of a list's (they are read as one table, by name).
    designSchema: (ctx, config) => remoteFileColumns(ctx, (Array.isArray(config.url) ? config.url[0] : config.url) ?? '', config),
  };
}

/** Reads CSV, Parquet or JSON files from http(s) URLs, through the project's download cache. */
export const httpFileSource = createHttpFileSource();

/** Downloads every URL (a few at a time), reporting the bytes of all of them as one progress. */
async function downloadAll(ctx: BlockContext, urls: string[], config: HttpFileConfig, deps: HttpFileSourceDeps): Promise<DownloadResult[]> {
  const done = urls.map(() => 0);
  const totals = urls.map((): number | undefined => undefined);
  const report = () => {
    const total = totals.every((t) => t !== undefined) ? totals.reduce<number>((a, b) => a + (b ?? 0), 0) : undefined;
    ctx.progress({ phase: 'download', done: done.reduce((a, b) => a + b, 0), ...(total !== undefined ? { total } : {}), unit: 'bytes' });
  };
  const results: DownloadResult[] = [];
  // One failed download stops the others: the block fails anyway.
  const stopAll = new AbortController();
  const onAbort = () => stopAll.abort(ctx.signal.reason);
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < urls.length; i = next++) {
      const result = await downloadToCache(urls[i] as string, {
        cacheDir: ctx.cacheDir,
        signal: stopAll.signal,
        decompressGzip: true,
        retries: config.retries,
        ...(config.timeout !== undefined ? { idleTimeoutMs: config.timeout * 1000 } : {}),
        backoff: deps.backoff ?? DEFAULT_BACKOFF,
        ...(deps.random ? { random: deps.random } : {}),
        log: ctx.log,
        onProgress: (bytes, total) => {
          done[i] = bytes;
          totals[i] = total;
          report();
        },
      }).catch((error: unknown) => {
        stopAll.abort(error);
        throw error;
      });
      results[i] = result;
      done[i] = totals[i] = result.bytes;
      report();
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(PARALLEL_DOWNLOADS, urls.length) }, worker));
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
  }
  return results;
}
