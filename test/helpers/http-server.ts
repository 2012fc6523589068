import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the server answers the next `times` requests for a path (default once) instead of serving it. */
export type FaultPlan = { times?: number } & (
  | { status: number; retryAfter?: string | number }
  /** Sends the headers and the first `cutAfterBytes` bytes of the body, then destroys the socket. */
  | { cutAfterBytes: number }
  /** Sends the headers and the first `stallAfterBytes` bytes, then goes silent with the connection open. */
  | { stallAfterBytes: number }
  /** Never answers (the client must time out or give up). */
  | { hang: true }
);

export interface ServeOptions {
  /** Defaults to a hash of the body (Buffer) or of size + mtime (file). */
  etag?: string;
  /** Defaults to the file's mtime, or the time `serve` was called. */
  lastModified?: Date;
  contentType?: string;
  /** Sent as Content-Encoding (the body must already be encoded so), as S3 does for some .gz objects. */
  contentEncoding?: string;
}

export interface FileServer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  port: number;
  /** Serves `body` at `path` (replacing what was there); `{ file }` is streamed from disk on each request. */
  serve(path: string, body: Buffer | { file: string }, opts?: ServeOptions): void;
  /** Queues a fault for `path`; queued faults are used in order. */
  fail(path: string, plan: FaultPlan): void;
  /** Requests received for `path` so far, faulted ones included. */
  requests(path: string): number;
  close(): Promise<void>;
}

interface Resource {
  body: Buffer | { file: string };
  size: number;
  etag: string;
  lastModified: string;
  contentType: string;
  contentEncoding: string | undefined;
}

/**
 * A real HTTP server on 127.0.0.1 (free port) serving buffers or files with ETag, Last-Modified and
 * Content-Length, answering 304 to matching conditional requests, and misbehaving on demand (status codes,
 * Retry-After, cut connections, hangs) so download code can be tested against the real network stack.
 */
export async function startFileServer(): Promise<FileServer> {
  const resources = new Map<string, Resource>();
  const faults = new Map<string, FaultPlan[]>();
  const counts = new Map<string, number>();
  const server = createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    counts.set(pathname, (counts.get(pathname) ?? 0) + 1);
    const resource = resources.get(pathname);
    const fault = takeFault(faults, pathname);
    if (fault) return answerFault(fault, resource, res);
    if (!resource) return void res.writeHead(404, { 'content-length': '0' }).end();
    if (isNotModified(req, resource)) return void res.writeHead(304, { etag: resource.etag, 'last-modified': resource.lastModified }).end();
    res.writeHead(200, headersOf(resource));
    if (req.method === 'HEAD') return void res.end();
    if (Buffer.isBuffer(resource.body)) return void res.end(resource.body);
    createReadStream(resource.body.file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    serve: (path, body, opts = {}) => resources.set(path, describeResource(body, opts)),
    fail: (path, plan) => faults.set(path, [...(faults.get(path) ?? []), { ...plan }]),
    requests: (path) => counts.get(path) ?? 0,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Keep-alive and hanging connections would otherwise hold close() open.
        server.closeAllConnections();
      }),
  };
}

function describeResource(body: Buffer | { file: string }, opts: ServeOptions): Resource {
  const isBuffer = Buffer.isBuffer(body);
  const fileStat = isBuffer ? undefined : statSync(body.file);
  const size = isBuffer ? body.length : (fileStat?.size ?? 0);
  const identity = isBuffer ? createHash('sha1').update(body).digest('hex') : `${size}-${fileStat?.mtimeMs ?? 0}`;
  const modified = opts.lastModified ?? fileStat?.mtime ?? new Date();
  return {
    body,
    size,
    etag: opts.etag ?? `"${identity.slice(0, 27)}"`,
    lastModified: new Date(Math.floor(modified.getTime() / 1000) * 1000).toUTCString(),
    contentType: opts.contentType ?? 'application/octet-stream',
    contentEncoding: opts.contentEncoding,
  };
}

function headersOf(resource: Resource): Record<string, string> {
  return {
    'content-length': String(resource.size),
    'content-type': resource.contentType,
    etag: resource.etag,
    'last-modified': resource.lastModified,
    ...(resource.contentEncoding ? { 'content-encoding': resource.contentEncoding } : {}),
  };
}

/** If-None-Match wins over If-Modified-Since, as RFC 9110 says. */
function isNotModified(req: IncomingMessage, resource: Resource): boolean {
  const inm = req.headers['if-none-match'];
  if (inm !== undefined) return inm.split(',').some((tag) => tag.trim() === resource.etag || tag.trim() === '*');
  const ims = req.headers['if-modified-since'];
  if (ims === undefined) return false;
  const since = Date.parse(ims);
  return !Number.isNaN(since) && Date.parse(resource.lastModified) <= since;
}

function takeFault(faults: Map<string, FaultPlan[]>, path: string): FaultPlan | undefined {
  const queue = faults.get(path);
  const plan = queue?.[0];
  if (!queue || !plan) return undefined;
  const left = (plan.times ?? 1) - 1;
  if (left <= 0) queue.shift();
  else plan.times = left;
  return plan;
}

function answerFault(plan: FaultPlan, resource: Resource | undefined, res: ServerResponse): void {
  if ('hang' in plan) return;
  if ('status' in plan) {
    const headers: Record<string, string> = { 'content-length': '0' };
    if (plan.retryAfter !== undefined) headers['retry-after'] = String(plan.retryAfter);
    return void res.writeHead(plan.status, headers).end();
  }
  if (!resource) throw new Error('cutAfterBytes and stallAfterBytes need a served resource');
  res.writeHead(200, headersOf(resource));
  const isCut = 'cutAfterBytes' in plan;
  const bytes = isCut ? plan.cutAfterBytes : plan.stallAfterBytes;
  const then = () => (isCut ? res.socket?.destroy() : undefined);
  if (Buffer.isBuffer(resource.body) || bytes <= 0) {
    const head = Buffer.isBuffer(resource.body) ? resource.body.subarray(0, bytes) : Buffer.alloc(0);
    return void res.write(head, then);
  }
  const partial = createReadStream(resource.body.file, { end: bytes - 1 });
  partial.on('data', (chunk) => res.write(chunk));
  partial.on('end', () => res.write('', then));
}
