import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import type { Expected, HostileCase } from './case.ts';
import type { ProjectRuns } from './project-runs.ts';

const CSV = 'id,name\n' + Array.from({ length: 2000 }, (_, i) => `${i + 1},n${i + 1}\n`).join('');
const GZ = gzipSync(CSV);

type Route = (req: IncomingMessage, res: ServerResponse) => void;

/** Misbehaving HTTP endpoints, one per path: answers that 500, stall, cut, loop or lie. */
const ROUTES: Record<string, Route> = {
  '/ok.csv': (_req, res) => res.end(CSV),
  '/500.csv': (_req, res) => res.writeHead(500).end('internal error'),
  '/404.csv': (_req, res) => res.writeHead(404).end('not here'),
  '/429.csv': (_req, res) => res.writeHead(429, { 'retry-after': '999999' }).end('slow down'),
  '/stall-headers.csv': () => undefined, // never answers
  '/stall-body.csv': (_req, res) => {
    res.writeHead(200, { 'content-length': String(CSV.length) });
    res.write(CSV.slice(0, 100)); // then silence, connection open
  },
  '/cut.csv': (req, res) => {
    res.writeHead(200, { 'content-length': String(CSV.length) });
    res.write(CSV.slice(0, 500), () => req.socket.destroy());
  },
  '/cut.csv.gz': (_req, res) => res.end(GZ.subarray(0, GZ.length >> 1)),
  '/loop.csv': (_req, res) => res.writeHead(302, { location: '/loop.csv' }).end(),
  '/to-file.csv': (_req, res) => res.writeHead(302, { location: 'file:///etc/passwd' }).end(),
  '/to-404.csv': (_req, res) => res.writeHead(301, { location: '/404.csv' }).end(),
  '/html.csv': (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><html><body>Log in</body></html>'),
  '/denied.csv': (_req, res) =>
    res
      .writeHead(200, { 'content-type': 'application/xml' })
      .end('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>'),
  '/empty.csv': (_req, res) => res.writeHead(200, { 'content-length': '0' }).end(),
  '/reset.csv': (req) => req.socket.destroy(),
  '/drip.csv': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/csv' });
    res.write('id,name\n');
    const timer = setInterval(() => res.write('1,a\n'), 200);
    res.on('close', () => clearInterval(timer));
  },
  '/short-gzip-header.csv.gz': (_req, res) => res.end(Buffer.from([0x1f, 0x8b])),
};

export interface HostileServers {
  url: string;
  /** A server that speaks HTTP/1.0 (no keep-alive, no length: the body ends when the connection closes). */
  http10Url: string;
  /** A TCP server that answers garbage instead of HTTP. */
  garbageUrl: string;
  close(): Promise<void>;
}

export async function startHostileServers(): Promise<HostileServers> {
  const sockets = new Set<Socket>();
  const http = createServer((req, res) =>
    (ROUTES[new URL(req.url ?? '/', 'http://x').pathname] ?? ((_q, r: ServerResponse) => r.writeHead(404).end()))(req, res),
  );
  http.on('connection', (s) => sockets.add(s));
  const http10 = createNetServer((socket) => {
    sockets.add(socket);
    socket.once('data', (request) => {
      const text = request.toString();
      const body = /GET \S+\.gz /.test(text) ? GZ : Buffer.from(CSV);
      // As `python3 -m http.server` answers (with a length), or with the body ending at the close.
      const length = /GET \/len\//.test(text) ? `Content-Length: ${body.length}\r\n` : '';
      socket.end(
        Buffer.concat([
          Buffer.from(
            `HTTP/1.0 200 OK\r\nServer: SimpleHTTP/0.6\r\nContent-Type: ${body === GZ ? 'application/gzip' : 'text/csv'}\r\n${length}\r\n`,
          ),
          body,
        ]),
      );
    });
  });
  const garbage = createNetServer((socket) => {
    sockets.add(socket);
    socket.end('SSH-2.0-OpenSSH_9.0\r\nnot http at all\r\n');
  });
  const listen = async (server: Server | NetServer) => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  const [url, http10Url, garbageUrl] = [await listen(http), await listen(http10), await listen(garbage)];
  return {
    url,
    http10Url,
    garbageUrl,
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all([http, http10, garbage].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}

const failsOn = (kind: 'user' | 'operational', message: RegExp, file?: RegExp): Expected => ({
  kind,
  message,
  block: 'fetch',
  ...(file ? { file } : {}),
});

/** HTTP sources against the hostile servers, each in its own pipeline; the HTTP/1.0 ones run apart (see the test). */
export function httpCases(runs: ProjectRuns, servers: HostileServers): HostileCase[] {
  const u = (p: string) => `${servers.url}${p}`;
  const cases: [string, string, Expected, Record<string, unknown>?][] = [
    ['http: a normal CSV (control)', u('/ok.csv'), { ok: true, rows: 2000 }],
    ['http: 500', u('/500.csv'), failsOn('operational', /500/)],
    ['http: 404', u('/404.csv'), failsOn('operational', /404\.csv answered 404 Not Found; not retrying/)],
    ['http: 429 with Retry-After of 11 days', u('/429.csv'), failsOn('operational', /429/)],
    ['http: no answer at all (bounded by timeout)', u('/stall-headers.csv'), failsOn('operational', /idle|timed out|timeout|no data/i)],
    ['http: stalls mid-body (bounded by timeout)', u('/stall-body.csv'), failsOn('operational', /idle|timed out|timeout|no data/i)],
    ['http: connection cut mid-body', u('/cut.csv'), failsOn('operational', /ended|closed|terminated|socket|cut|fewer|premature|aborted/i)],
    ['http: a truncated .csv.gz', u('/cut.csv.gz'), failsOn('operational', /cut\.csv\.gz .*the gzip data is cut or corrupt/)],
    ['http: a redirect loop', u('/loop.csv'), { kind: 'operational', message: /redirect/i } as Expected],
    [
      'http: a redirect to file://',
      u('/to-file.csv'),
      failsOn('operational', /to-file\.csv redirects to file: .*only http\(s\) is followed/),
    ],
    ['http: a redirect to a 404', u('/to-404.csv'), failsOn('operational', /to-404\.csv answered 404/)],
    ['http: an HTML page served as CSV', u('/html.csv'), failsOn('user', /HTML page/, /html\.csv$/)],
    [
      'http: an S3 AccessDenied XML served with 200',
      u('/denied.csv'),
      failsOn('user', /is an XML document, not csv \(the server said AccessDenied/, /denied\.csv$/),
    ],
    ['http: an empty 200', u('/empty.csv'), failsOn('user', /is empty/, /empty\.csv$/)],
    ['http: connection reset before any answer', u('/reset.csv'), failsOn('operational', /./)],
    [
      'http: a body that drips forever (bounded by the block timeout)',
      u('/drip.csv'),
      { kind: 'operational', message: /timed out|timeout/i } as Expected,
      { timeout: 3 },
    ],
    ['http: two gzip bytes and nothing else', u('/short-gzip-header.csv.gz'), failsOn('operational', /the gzip data is cut or corrupt/)],
    ['http: a server that does not speak HTTP', `${servers.garbageUrl}/x.csv`, failsOn('operational', /./)],
  ];
  return cases.map(([name, url, expect, block = {}], i) => {
    const id = `h${i}`;
    runs.add(id, [{ id: 'fetch', type: 'source', kind: 'http_file', config: { url, retries: 0, timeout: 1 }, ...block }]);
    return { group: 'http', name, expect, run: (signal) => runs.outcome(id, 'fetch', signal) };
  });
}
