import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer, type Server as NetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { OperationalError } from '../main/model/errors.ts';
import { downloadToCache, type DownloadOptions } from '../main/blocks/http-download.ts';

/** A CSV big enough (several MB inflated) that gunzip-to-disk applies backpressure to the socket. */
function bigCsv(rows: number): Buffer {
  const lines = ['id,value,label'];
  for (let i = 0; i < rows; i++) lines.push(`${i},${(i * 7919) % 100003},label-${(i * 31) % 977}-${'x'.repeat(i % 40)}`);
  return Buffer.from(lines.join('\n') + '\n');
}

let root: string;
let n = 0;
const csv = bigCsv(200_000);
const gz = gzipSync(csv);

function options(extra: Partial<DownloadOptions> = {}): DownloadOptions {
  return {
    cacheDir: path.join(root, `cache-${++n}`),
    signal: new AbortController().signal,
    backoff: { baseMs: 5, maxMs: 20 },
    decompressGzip: true,
    ...extra,
  };
}

before(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'pw-download-servers-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

/** Starts `/usr/bin/python3 -m http.server` (HTTP/1.0, closes after each answer) on a free port in `dir`. */
async function startPythonServer(dir: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn('/usr/bin/python3', ['-u', '-m', 'http.server', '0', '--bind', '127.0.0.1', '--directory', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error('python http.server did not start within 20 s')), 20_000);
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /port (\d+)/.exec(out);
      if (match) {
        clearTimeout(deadline);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`python http.server exited (${code}): ${out}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

describe('downloads from servers that fetch mishandles', () => {
  test('a .csv.gz from python -m http.server (HTTP/1.0) downloads, inflates and revalidates without killing the process', async () => {
    const dir = mkdtempSync(path.join(root, 'www-'));
    writeFileSync(path.join(dir, 'data.csv.gz'), gz);
    const { url, child } = await startPythonServer(dir);
    try {
      for (let round = 0; round < 3; round++) {
        const opts = options();
        const first = await downloadToCache(`${url}/data.csv.gz`, opts);
        assert.equal(first.cached, false);
        assert.equal(first.bytes, gz.length);
        assert.ok(readFileSync(first.path).equals(csv), 'the cached body is the inflated CSV');
        const again = await downloadToCache(`${url}/data.csv.gz`, opts);
        assert.equal(again.cached, true, 'python answers 304 to If-Modified-Since');
      }
    } finally {
      child.kill();
    }
  });

  test('an HTTP/1.0 answer with no Content-Length, closed right after the body, is read to its end', async () => {
    const server: NetServer = createNetServer((socket) => {
      socket.once('data', () => {
        socket.write('HTTP/1.0 200 OK\r\nContent-Type: application/gzip\r\n\r\n');
        socket.end(gz); // FIN straight after the body: the client is still inflating
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/raw.csv.gz`;
      for (let round = 0; round < 3; round++) {
        const result = await downloadToCache(url, options());
        assert.ok(readFileSync(result.path).equals(csv));
      }
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  test('an HTTP/1.0 body cut short is caught by the gzip check and retried', async () => {
    let requests = 0;
    const server: NetServer = createNetServer((socket) => {
      socket.once('data', () => {
        requests++;
        socket.write('HTTP/1.0 200 OK\r\n\r\n');
        socket.end(requests === 1 ? gz.subarray(0, gz.length >> 1) : gz);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const logs: string[] = [];
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cut.csv.gz`;
      const result = await downloadToCache(url, options({ log: (_l, m) => logs.push(m) }));
      assert.equal(result.attempts, 2);
      assert.ok(readFileSync(result.path).equals(csv));
      assert.ok(
        logs.some((l) => /gzip data is cut or corrupt/.test(l)),
        logs.join('\n'),
      );
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('redirects', () => {
  let server: Server;
  let base: string;
  before(async () => {
    server = createHttpServer((req, res) => {
      const url = req.url ?? '/';
      if (url === '/moved') return void res.writeHead(302, { location: '/hop' }).end();
      if (url === '/hop') return void res.writeHead(301, { location: `${base}/final.csv` }).end();
      if (url === '/final.csv') return void res.writeHead(200, { 'content-length': '8' }).end('a,b\n1,2\n');
      if (url === '/loop-a') return void res.writeHead(302, { location: '/loop-b' }).end();
      if (url === '/loop-b') return void res.writeHead(307, { location: '/loop-a' }).end();
      if (url === '/to-file') return void res.writeHead(302, { location: 'file:///etc/passwd' }).end();
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('follows a chain of redirects to the file', async () => {
    const result = await downloadToCache(`${base}/moved`, options());
    assert.equal(readFileSync(result.path, 'utf8'), 'a,b\n1,2\n');
  });

  test('refuses a redirect loop at once, naming it', async () => {
    await assert.rejects(
      downloadToCache(`${base}/loop-a`, options()),
      (err: unknown) => err instanceof OperationalError && /loop/.test(err.message) && !err.retryable,
    );
  });

  test('refuses a redirect to a file: URL', async () => {
    await assert.rejects(
      downloadToCache(`${base}/to-file`, options()),
      (err: unknown) => err instanceof OperationalError && /only http\(s\)/.test(err.message),
    );
  });
});
