import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { CancelledError, OperationalError } from '../main/model/errors.ts';
import { downloadToCache, type DownloadOptions } from '../main/blocks/http-download.ts';
import { computeBackoffMs, parseRetryAfterMs } from '../main/model/backoff.ts';
import { startFileServer, type FileServer } from './helpers/http-server.ts';

let server: FileServer;
let root: string;
let n = 0;

before(async () => {
  server = await startFileServer();
  root = mkdtempSync(path.join(os.tmpdir(), 'pw-download-'));
});
after(async () => {
  await server.close();
  rmSync(root, { recursive: true, force: true });
});

/** A fresh cache dir and URL path per test, with tiny backoff so retries take milliseconds. */
function fixture(body: Buffer = Buffer.from('a,b\n1,2\n')) {
  const id = ++n;
  const urlPath = `/file-${id}.csv`;
  server.serve(urlPath, body);
  const cacheDir = path.join(root, `cache-${id}`);
  const logs: string[] = [];
  const opts = (extra: Partial<DownloadOptions> = {}): DownloadOptions => ({
    cacheDir,
    signal: new AbortController().signal,
    backoff: { baseMs: 5, maxMs: 20 },
    log: (_level, message) => logs.push(message),
    ...extra,
  });
  return { urlPath, url: server.url + urlPath, cacheDir, logs, opts, httpDir: path.join(cacheDir, 'http') };
}

function bigBody(bytes: number): Buffer {
  const body = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) body[i] = (i * 7) % 251;
  return body;
}

describe('downloadToCache', () => {
  test('re-uses the cached download when the server answers 304', async () => {
    const f = fixture();
    const first = await downloadToCache(f.url, f.opts());
    assert.equal(first.cached, false);
    assert.equal(readFileSync(first.path, 'utf8'), 'a,b\n1,2\n');
    const second = await downloadToCache(f.url, f.opts());
    assert.equal(second.cached, true);
    assert.equal(second.path, first.path);
    assert.equal(second.bytes, 8);
    assert.equal(server.requests(f.urlPath), 2);
    assert.ok(
      f.logs.some((l) => /cached/.test(l)),
      f.logs.join('\n'),
    );
  });

  test('keeps the URL file name so DuckDB can tell the compression from the extension', async () => {
    const f = fixture();
    const result = await downloadToCache(f.url, f.opts());
    assert.match(path.basename(result.path), /-file-\d+\.csv$/);
  });

  test('downloads again when the ETag changes', async () => {
    const f = fixture();
    await downloadToCache(f.url, f.opts());
    server.serve(f.urlPath, Buffer.from('a,b\n3,4\n5,6\n'));
    const again = await downloadToCache(f.url, f.opts());
    assert.equal(again.cached, false);
    assert.equal(readFileSync(again.path, 'utf8'), 'a,b\n3,4\n5,6\n');
  });

  test('retries two 503 answers, then succeeds', async () => {
    const f = fixture();
    server.fail(f.urlPath, { status: 503, times: 2 });
    const result = await downloadToCache(f.url, f.opts());
    assert.equal(result.attempts, 3);
    assert.equal(server.requests(f.urlPath), 3);
    assert.equal(f.logs.filter((l) => /503/.test(l)).length, 2);
  });

  test('waits as long as a 429 Retry-After asks', async () => {
    const f = fixture();
    server.fail(f.urlPath, { status: 429, retryAfter: 1 });
    const started = Date.now();
    const result = await downloadToCache(f.url, f.opts());
    assert.ok(Date.now() - started >= 950, `waited only ${Date.now() - started} ms`);
    assert.equal(result.attempts, 2);
  });

  test('caps a long Retry-After', async () => {
    const f = fixture();
    server.fail(f.urlPath, { status: 503, retryAfter: 3600 });
    const started = Date.now();
    await downloadToCache(f.url, f.opts({ maxRetryAfterMs: 50 }));
    assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`); // uncapped: an hour
  });

  test('treats 404 as permanent: one request, an error naming the URL and status', async () => {
    const f = fixture();
    server.fail(f.urlPath, { status: 404 });
    const error = await downloadToCache(f.url, f.opts()).catch((e: unknown) => e);
    assert.ok(error instanceof OperationalError);
    assert.equal(error.retryable, false);
    assert.match(error.message, new RegExp(`${f.url}.*404`));
    assert.equal(server.requests(f.urlPath), 1);
  });

  test('gives up on a refused connection after its retries, saying so', async () => {
    const closed = await startFileServer();
    const url = `${closed.url}/gone.csv`;
    await closed.close();
    const f = fixture();
    const error = await downloadToCache(url, f.opts({ retries: 2 })).catch((e: unknown) => e);
    assert.ok(error instanceof OperationalError);
    assert.equal(error.retryable, true);
    assert.match(error.message, /gone\.csv failed after 3 attempts: connection refused/);
  });

  test('retries a connection cut mid-body and ends with the complete file', async () => {
    const body = bigBody(300_000);
    const f = fixture(body);
    server.fail(f.urlPath, { cutAfterBytes: 100_000 });
    const result = await downloadToCache(f.url, f.opts());
    assert.equal(result.attempts, 2);
    assert.ok(readFileSync(result.path).equals(body));
  });

  test('retries a transfer that stalls past the idle timeout', async () => {
    const body = bigBody(50_000);
    const f = fixture(body);
    server.fail(f.urlPath, { stallAfterBytes: 1_000 });
    const result = await downloadToCache(f.url, f.opts({ idleTimeoutMs: 200 }));
    assert.equal(result.attempts, 2);
    assert.ok(readFileSync(result.path).equals(body));
    assert.ok(
      f.logs.some((l) => /idle timeout/.test(l)),
      f.logs.join('\n'),
    );
  });

  test('retries a request that gets no answer within the idle timeout', async () => {
    const f = fixture();
    server.fail(f.urlPath, { hang: true });
    const result = await downloadToCache(f.url, f.opts({ idleTimeoutMs: 200 }));
    assert.equal(result.attempts, 2);
    assert.equal(readFileSync(result.path, 'utf8'), 'a,b\n1,2\n');
  });

  test('stores a body sent with Content-Encoding: gzip decoded, without the .gz suffix', async () => {
    const urlPath = '/encoded.csv.gz';
    server.serve(urlPath, gzipSync('a,b\n1,2\n'), { contentEncoding: 'gzip' });
    const f = fixture();
    const first = await downloadToCache(server.url + urlPath, f.opts());
    assert.match(first.path, /encoded\.csv$/);
    assert.equal(readFileSync(first.path, 'utf8'), 'a,b\n1,2\n');
    const again = await downloadToCache(server.url + urlPath, f.opts());
    assert.equal(again.cached, true);
    assert.equal(again.path, first.path);
  });

  test('leaves no partial file in the cache when every attempt is cut', async () => {
    const f = fixture(bigBody(100_000));
    server.fail(f.urlPath, { cutAfterBytes: 10_000, times: 2 });
    const error = await downloadToCache(f.url, f.opts({ retries: 1 })).catch((e: unknown) => e);
    assert.ok(error instanceof OperationalError);
    assert.match(error.message, /after 2 attempts/);
    assert.deepEqual(readdirSync(f.httpDir), []);
  });

  test('a cut download never replaces a good cached copy', async () => {
    const f = fixture(Buffer.from('x\n1\n'));
    const good = await downloadToCache(f.url, f.opts());
    server.serve(f.urlPath, bigBody(100_000));
    server.fail(f.urlPath, { cutAfterBytes: 5_000 });
    await assert.rejects(downloadToCache(f.url, f.opts({ retries: 0 })), OperationalError);
    assert.equal(readFileSync(good.path, 'utf8'), 'x\n1\n');
    assert.deepEqual(
      readdirSync(f.httpDir).filter((name) => name.endsWith('.part')),
      [],
    );
  });

  test('cancellation aborts a hanging request promptly and leaves no partial file', async () => {
    const f = fixture(bigBody(100_000));
    server.fail(f.urlPath, { stallAfterBytes: 20_000 });
    const controller = new AbortController();
    const started = Date.now();
    // Cancelled once bytes arrived: the request is then mid-body, where the server stalls.
    const onProgress = () => controller.abort(new CancelledError('run cancelled'));
    const error = await downloadToCache(f.url, f.opts({ signal: controller.signal, onProgress })).catch((e: unknown) => e);
    assert.ok(error instanceof CancelledError, String(error));
    assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`); // the stalled request would hang
    assert.deepEqual(readdirSync(f.httpDir), []);
  });

  test('cancellation interrupts the wait between retries', async () => {
    const f = fixture();
    server.fail(f.urlPath, { status: 503, retryAfter: 30 });
    const controller = new AbortController();
    // Cancelled when the download says it will retry, i.e. during the wait.
    const log = (_level: string, message: string) => /retrying in/.test(message) && controller.abort(new CancelledError());
    const started = Date.now();
    await assert.rejects(downloadToCache(f.url, f.opts({ signal: controller.signal, log })), CancelledError);
    assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`); // the wait is 30 s
  });

  test('refuses a URL that is not http(s)', async () => {
    const f = fixture();
    await assert.rejects(downloadToCache('file:///etc/passwd', f.opts()), /only http\(s\) URLs/);
  });
});

describe('backoff', () => {
  test('full jitter stays between zero and the capped exponential ceiling', () => {
    const opts = { baseMs: 100, maxMs: 1_000 };
    assert.equal(
      computeBackoffMs(1, opts, () => 0),
      0,
    );
    assert.equal(
      computeBackoffMs(1, opts, () => 0.999_999),
      100,
    );
    assert.equal(
      computeBackoffMs(3, opts, () => 0.5),
      200,
    );
    assert.equal(
      computeBackoffMs(10, opts, () => 0.999_999),
      1_000,
    );
  });

  test('reads Retry-After as seconds or as an HTTP date, and caps it', () => {
    const now = Date.parse('2021-01-01T00:00:00Z');
    assert.equal(parseRetryAfterMs('2', 60_000, now), 2_000);
    assert.equal(parseRetryAfterMs('Fri, 01 Jan 2021 00:00:05 GMT', 60_000, now), 5_000);
    assert.equal(parseRetryAfterMs('3600', 60_000, now), 60_000);
    assert.equal(parseRetryAfterMs('soon', 60_000, now), undefined);
    assert.equal(parseRetryAfterMs(null, 60_000, now), undefined);
  });
});

describe('gzip bodies stored decompressed', () => {
  test('a .gz body is inflated while it downloads, cached plain, and reused on 304', async () => {
    const plain = Buffer.from('a,b\n' + Array.from({ length: 5000 }, (_, i) => `${i},${i * 2}`).join('\n') + '\n');
    const id = ++n;
    const urlPath = `/data-${id}.csv.gz`;
    server.serve(urlPath, gzipSync(plain));
    const cacheDir = path.join(root, `cache-gz-${id}`);
    const opts: DownloadOptions = {
      cacheDir,
      signal: new AbortController().signal,
      decompressGzip: true,
      backoff: { baseMs: 5, maxMs: 20 },
    };
    const first = await downloadToCache(server.url + urlPath, opts);
    assert.match(first.path, /\.csv$/, 'stored without the .gz suffix');
    assert.deepEqual(readFileSync(first.path), plain);
    const second = await downloadToCache(server.url + urlPath, opts);
    assert.equal(second.cached, true);
    assert.equal(second.path, first.path);
  });

  test('a gzip bomb is refused instead of filling the disk', async () => {
    const id = ++n;
    const urlPath = `/bomb-${id}.csv.gz`;
    server.serve(urlPath, gzipSync(Buffer.alloc(300 * 1024 * 1024, 0x30)));
    const cacheDir = path.join(root, `cache-bomb-${id}`);
    await assert.rejects(
      downloadToCache(server.url + urlPath, { cacheDir, signal: new AbortController().signal, decompressGzip: true, retries: 0 }),
      (err: unknown) => err instanceof OperationalError && /decompression bomb/.test(err.message) && !err.retryable,
    );
    assert.deepEqual(readdirSync(path.join(cacheDir, 'http')), [], 'nothing left in the cache');
  });
});
