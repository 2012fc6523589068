import { request } from 'node:http';
import WebSocket from 'ws';
import { DEFAULT_WAIT_MS } from './wait-until.ts';
import type { EventName } from '../../main/api/contract.ts';
import type { EventPayloads } from '../../main/api/api-types.ts';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One real HTTP request with exactly the headers given (fetch would not let a test forge Host). */
export function rawRequest(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: opts.method ?? 'GET', headers: opts.headers ?? {} }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

/**
 * Listens on serve's event stream (`serveUrl` as printed, with its token) and resolves once it sends `event` with a
 * payload `matches` accepts (`received`); rejects after `timeoutMs`. Resolves once listening, so nothing sent after is missed.
 */
export async function listenForEvent<E extends EventName>(
  serveUrl: string,
  event: E,
  matches: (payload: EventPayloads[E]) => boolean,
  timeoutMs = DEFAULT_WAIT_MS,
): Promise<{ received: Promise<void> }> {
  const url = new URL(serveUrl);
  const socket = new WebSocket(`ws://${url.host}/api/events`, {
    headers: { authorization: `Bearer ${url.searchParams.get('token') ?? ''}`, origin: url.origin },
  });
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const heard = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${event} from serve`)), timeoutMs);
    socket.on('message', (data) => {
      // The contract names the payload of each event: a message named `event` carries EventPayloads[E].
      const message = JSON.parse(String(data)) as { event: string; payload: EventPayloads[E] };
      if (message.event !== event || !matches(message.payload)) return;
      clearTimeout(timer);
      resolve();
    });
  });
  return { received: heard.finally(() => socket.close()) };
}
