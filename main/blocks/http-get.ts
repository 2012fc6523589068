import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { OperationalError } from '../model/errors.ts';

/**
 * GET over node:http/https rather than fetch. Node 22's bundled undici asserts (uncatchably, killing the process)
 * when a server closes the connection while the parser is paused by backpressure (nodejs/undici#5360): every
 * HTTP/1.0 server such as `python3 -m http.server` does exactly that under a slow consumer (gunzip to disk).
 */
export interface HttpAnswer {
  status: number;
  statusText: string;
  /** The URL that answered, after redirects. */
  url: string;
  header(name: string): string | undefined;
  /** The body, with a Content-Encoding (gzip, deflate, br) undone; see `isDecoded`. */
  body: Readable;
  /** True when the body is decoded from a Content-Encoding: Content-Length then counts other bytes. */
  isDecoded: boolean;
  /** Drops the body and frees the connection. */
  discard(): void;
}

export interface HttpGetOptions {
  headers?: Record<string, string>;
  signal: AbortSignal;
  /** Redirects followed before giving up (fetch's limit, 20). */
  maxRedirects?: number;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Sends a GET, follows redirects (refusing loops and non-http(s) targets) and resolves with the final answer's head. */
export async function httpGet(url: string, opts: HttpGetOptions): Promise<HttpAnswer> {
  const maxRedirects = opts.maxRedirects ?? 20;
  const seen = new Set<string>();
  let current = new URL(url);
  for (;;) {
    seen.add(current.href);
    const res = await requestOnce(current, opts);
    const location = res.headers.location;
    if (!REDIRECTS.has(res.statusCode ?? 0) || !location) return answerOf(res, current.href);
    res.resume(); // a redirect's body is of no use; reading it frees the socket
    const next = new URL(location, current);
    if (next.protocol !== 'http:' && next.protocol !== 'https:') {
      throw new OperationalError(`GET ${url} redirects to ${next.protocol} (${next.href}); only http(s) is followed`, { permanent: true });
    }
    if (seen.has(next.href)) throw new OperationalError(`GET ${url} redirects in a loop (back to ${next.href})`, { permanent: true });
    if (seen.size > maxRedirects) throw new OperationalError(`GET ${url} redirects more than ${maxRedirects} times`, { permanent: true });
    current = next;
  }
}

function requestOnce(url: URL, opts: HttpGetOptions): Promise<IncomingMessage> {
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.get(url, { headers: opts.headers ?? {}, signal: opts.signal }, resolve);
    req.on('error', reject);
  });
}

function answerOf(res: IncomingMessage, url: string): HttpAnswer {
  const decoder = decoderFor(res.headers['content-encoding']);
  const body = decoder ? res.pipe(decoder) : res;
  // A cut connection errors `res`; pipe() does not forward errors, so the decoder must hear of it too.
  if (decoder) res.once('error', (error) => decoder.destroy(error));
  return {
    status: res.statusCode ?? 0,
    statusText: res.statusMessage ?? '',
    url,
    header: (name) => {
      const value = res.headers[name.toLowerCase()];
      return Array.isArray(value) ? value.join(', ') : value;
    },
    body,
    isDecoded: decoder !== undefined,
    discard: () => {
      res.destroy();
      if (decoder) decoder.destroy();
    },
  };
}

function decoderFor(encoding: string | undefined) {
  switch (encoding?.trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    case 'br':
      return createBrotliDecompress();
    default:
      return undefined; // identity, or an encoding we cannot undo: the bytes are kept as sent
  }
}
