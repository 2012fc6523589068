import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { OpenProject } from '../runtime/open-project.ts';
import type { ApiDispatcher } from '../api/handlers.ts';
import type { EventName } from '../api/contract.ts';
import { contentSecurityPolicy } from './content-security-policy.ts';
import { allowedHostsFor, checkHost, checkOrigin, checkToken, type Guard } from './request-guards.ts';
import { readStaticFile } from './static-files.ts';
import { encodeBytes } from './wire-format.ts';
import { removeServerFile, writeServerFile } from './server-file.ts';
import { answerTriggerRoute, isTriggerRoute, type TriggerRoutes } from './trigger-routes.ts';
import type { SchedulerActivity } from '../orchestration/scheduler-activity.ts';
import { startProjectBackend, type ProjectBackend } from '../api/project-backend.ts';
import { EventHub } from '../api/event-hub.ts';
import { MAX_CALL_BYTES } from '../api/call-limits.ts';
import type { ProjectSwitcher } from '../api/projects-handlers.ts';

export interface ServeOptions {
  open: OpenProject;
  /** The built renderer (out/renderer). */
  rendererDir: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Fixed in tests; otherwise 256 random bits. */
  token?: string;
  /** Also fire the project's schedule triggers while serving (`pipewright serve` does); `onActivity` sees what they do. */
  scheduler?: { onActivity: (activity: SchedulerActivity) => void };
  /**
   * The backend of a shell that already runs one (the desktop app), and the hub its events go through: served as
   * well, not started twice (one watcher, one scheduler). Without it the server starts and owns its own.
   */
  shared?: { backend: ProjectBackend; hub: EventHub };
  /** Point alert links at this server (default); the desktop app's local API is not a place to open runs. */
  linksAlerts?: boolean;
  /** How the project picker switches projects here (or why it cannot); without it the picker says it cannot. */
  projects?: ProjectSwitcher | { refused: string };
}

export interface ServeServer {
  /** The URL to open, with the token: `http://127.0.0.1:6789/?token=…`. */
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

/** The biggest API call body accepted: any call the contract allows fits, the longest block code included. */
const MAX_BODY_BYTES = MAX_CALL_BYTES;

/**
 * Bounds on slow clients (slowloris): the headers within 10 s, a whole request (an API call is at most 1 MiB)
 * within 30 s, checked every second rather than Node's default 30.
 */
const SERVER_LIMITS = { headersTimeout: 10_000, requestTimeout: 30_000, connectionsCheckingInterval: 1_000 };

/**
 * Serves the built renderer and the API (`POST /api/call`, WebSocket `/api/events`) for one open project.
 * Every request must name us in Host and carry the token; API calls and WebSockets must come from our own
 * Origin. The first page load swaps `?token=` for an HttpOnly, SameSite=Strict cookie and redirects to `/`,
 * so the token leaves the address bar and history, and page scripts never hold it.
 */
export async function startServeServer(opts: ServeOptions): Promise<ServeServer> {
  const token = opts.token ?? randomBytes(32).toString('base64url');
  const sockets = new Set<WebSocket>();
  const hub = opts.shared?.hub ?? new EventHub();
  const stopListening = hub.listen((event, payload) => broadcast(sockets, event, payload));
  // The API, the file watcher (edits made in other editors reach every page within a second) and the scheduler.
  const backend =
    opts.shared?.backend ??
    (await startProjectBackend(opts.open, hub.emit, {
      ...(opts.scheduler ? { scheduler: opts.scheduler } : {}),
      ...(opts.projects ? { projects: opts.projects } : {}),
    }));
  const closeBackend = async () => {
    stopListening();
    if (!opts.shared) await backend.close();
  };
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  const guard: Guard = { allowedHosts: new Set(), token, cookieName: '' };
  const routes: TriggerRoutes = { guard, open: opts.open };
  const server = createServer(SERVER_LIMITS, (req, res) => {
    handleRequest(guard, opts.rendererDir, backend.api, req, res, routes).catch((error: unknown) => {
      console.error('pipewright serve: request failed', error);
      if (!res.headersSent) refuse(res, 500, 'internal error (see the serve console)');
      else res.destroy();
    });
  });
  server.on('upgrade', (req, socket, head) => upgrade(guard, wss, sockets, req, socket, head));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, opts.host, () => resolve());
    });
  } catch (error) {
    await closeBackend(); // a port in use: stop the watcher and scheduler, the caller closes the project
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  guard.allowedHosts = allowedHostsFor(opts.host, port);
  guard.cookieName = `pipewright_token_${port}`;
  const urlHost = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  // Alert links open the run here (no token in them: the user signs in).
  if (opts.linksAlerts ?? true) opts.open.alerts.setServeUrl(`http://${urlHost}:${port}/`);
  // `pipewright run` in a terminal finds this process here and hands its run over (the workspace has one writer).
  const localOrigin = `http://${localHostFor(opts.host)}:${port}`;
  writeServerFile(opts.open.project.stateDir, { pid: process.pid, origin: localOrigin, token });
  backend.local.origin = localOrigin;
  return {
    url: `http://${urlHost}:${port}/?token=${token}`,
    port,
    token,
    close: async () => {
      removeServerFile(opts.open.project.stateDir);
      backend.local.origin = null;
      await closeBackend();
      for (const socket of sockets) socket.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function handleRequest(
  guard: Guard,
  rendererDir: string,
  api: ApiDispatcher,
  req: IncomingMessage,
  res: ServerResponse,
  routes: TriggerRoutes,
): Promise<void> {
  const url = parseRequestUrl(req);
  if (!url) return refuse(res, 400, 'the request target is not a valid URL path');
  const hostProblem = checkHost(guard, req);
  if (hostProblem) return refuse(res, 403, hostProblem);
  // The API trigger serves curl and CI too, which send a bearer token and no Origin: it checks its own way.
  if (isTriggerRoute(url.pathname)) return answerTriggerRoute(routes, req, res, url.pathname);
  if (url.pathname.startsWith('/api/')) {
    const problem = checkOrigin(guard, req, true) ?? checkToken(guard, req, null);
    if (problem) return refuse(res, 403, problem);
    if (url.pathname !== '/api/call' || req.method !== 'POST') return refuse(res, 404, `no API endpoint ${req.method} ${url.pathname}`);
    return answerCall(api, req, res);
  }
  const queryToken = url.searchParams.get('token');
  const problem = checkOrigin(guard, req, false) ?? checkToken(guard, req, queryToken);
  if (problem) return refuse(res, 403, problem);
  if (queryToken !== null) {
    res.writeHead(303, {
      location: '/',
      'set-cookie': `${guard.cookieName}=${encodeURIComponent(guard.token)}; Path=/; HttpOnly; SameSite=Strict`,
      'cache-control': 'no-store',
    });
    return void res.end();
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, `${req.method} is not served here`);
  const file = await readStaticFile(rendererDir, url.pathname);
  if (!file) return refuse(res, 404, `no file ${url.pathname}`);
  res.writeHead(200, {
    'content-type': file.contentType,
    'content-security-policy': contentSecurityPolicy(),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-cache',
  });
  res.end(req.method === 'HEAD' ? undefined : file.body);
}

async function answerCall(api: ApiDispatcher, req: IncomingMessage, res: ServerResponse): Promise<void> {
  // A form or `text/plain` fetch cannot send this without a CORS preflight, which we never answer.
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? ''))
    return refuse(res, 415, 'API calls must be sent as application/json');
  const body = await readBody(req);
  if (body === null) {
    // The rest of the body is still on its way: close the connection, or a client reusing it hangs behind it.
    res.setHeader('connection', 'close');
    return refuse(res, 413, `the call is larger than ${MAX_BODY_BYTES} bytes`);
  }
  let request: { method?: unknown; params?: unknown };
  try {
    request = JSON.parse(body) as { method?: unknown; params?: unknown };
  } catch {
    return refuse(res, 400, 'the call is not valid JSON');
  }
  const reply = await api.call(request?.method, request?.params);
  res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(reply, encodeBytes));
}

/** The request's path and query, or null for a target no URL parser accepts (answered 400, never 500). */
function parseRequestUrl(req: IncomingMessage): URL | null {
  try {
    return new URL(req.url ?? '/', 'http://placeholder');
  } catch {
    return null; // refused by the caller with a 400
  }
}

function upgrade(guard: Guard, wss: WebSocketServer, sockets: Set<WebSocket>, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  // A socket reset mid-handshake emits 'error'; unheard, that would end the process.
  socket.on('error', (error) => console.error(`pipewright serve: WebSocket handshake socket failed: ${error.message}`));
  const url = parseRequestUrl(req);
  const problem =
    (url ? null : 'the request target is not a valid URL path') ??
    checkHost(guard, req) ??
    checkOrigin(guard, req, true) ??
    checkToken(guard, req, null) ??
    (url?.pathname === '/api/events' ? null : `no WebSocket at ${url?.pathname ?? '?'}`);
  if (problem) {
    socket.end(`HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\n\r\n${problem}\n`);
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    // A malformed or oversized frame makes ws emit 'error' after it has started closing that socket (1002, 1007,
    // 1009): without a listener that error would end the process. One broken client loses its socket, nothing more.
    ws.on('error', (error) => console.error(`pipewright serve: WebSocket closed after a bad frame: ${error.message}`));
    // Events flow one way; anything a page sends is ignored rather than trusted.
    ws.on('message', () => undefined);
  });
}

/** The address a client on this machine uses: loopback for a wildcard or loopback listener, else the host itself. */
function localHostFor(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

function broadcast(sockets: Set<WebSocket>, event: EventName, payload: unknown): void {
  const message = JSON.stringify({ event, payload }, encodeBytes);
  for (const socket of sockets) if (socket.readyState === socket.OPEN) socket.send(message);
}

function refuse(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`pipewright serve: ${message}\n`);
}

async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
