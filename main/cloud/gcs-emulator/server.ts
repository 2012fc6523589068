import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { GoogleHttpError, dropConnection, parseJsonBody, readBody, sendGoogleError } from '../http-util.ts';
import { CONTROL_PATH, handleControl } from './control.ts';
import { FaultSwitch } from './faults.ts';
import { gcsModesSchema, handleModes, MODES_PATH, refusal, type GcsModes } from './modes.ts';
import { ObjectStore } from './object-store.ts';
import { ResumableSessions } from './resumable.ts';
import { names, route, type GcsContext, type GcsRequest } from './routes.ts';

/** A running GCS JSON API emulator. */
export interface GcsEmulator {
  /** `http://127.0.0.1:<port>`: pass it to `new Storage({ apiEndpoint, projectId })`. */
  url: string;
  port: number;
  /** Queue faults here (429/503 answers, dropped connections) for the next requests of a kind. */
  faults: FaultSwitch;
  /** Requests received, by `METHOD operation` (e.g. `PUT objects.uploadChunk`), faulted ones included. */
  requests: Map<string, number>;
  /** Switches project states on and off (modes.ts). */
  setModes(modes: Partial<GcsModes>): void;
  close(): Promise<void>;
}

export interface GcsEmulatorOptions {
  /** Folder holding buckets and objects (`.pipewright/gcs/` in a project). */
  root: string;
  /** Default 0: a free port. */
  port?: number;
  /** Project states to start in (another project's buckets, missing permissions, …); also set over `/_emulator/modes`. */
  modes?: Partial<GcsModes>;
}

/**
 * Starts the emulator on 127.0.0.1. It serves the JSON API under `/storage/v1` (and without the prefix, for
 * `STORAGE_EMULATOR_HOST` users) and uploads under `/upload/storage/v1`, so the unmodified official client works
 * through `apiEndpoint` (cloud-protocols.md §1.1, §7).
 */
export async function startGcsEmulator(options: GcsEmulatorOptions): Promise<GcsEmulator> {
  const store = new ObjectStore(options.root);
  const faults = new FaultSwitch();
  const requests = new Map<string, number>();
  const sockets = new Set<Socket>();
  const ctx: GcsContext = {
    store,
    state: { modes: gcsModesSchema.parse(options.modes ?? {}) },
    sessions: new ResumableSessions(store),
    baseUrl: '',
  };
  const server = createServer((req, res) => {
    handle(ctx, faults, requests, req, res).catch((error: unknown) => answerError(res, error));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await listen(server, options.port ?? 0);
  const port = (server.address() as AddressInfo).port;
  ctx.baseUrl = `http://127.0.0.1:${port}`;
  return {
    url: ctx.baseUrl,
    port,
    faults,
    requests,
    setModes: (modes) => {
      ctx.state.modes = { ...ctx.state.modes, ...modes };
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
}

async function handle(
  ctx: GcsContext,
  faults: FaultSwitch,
  requests: Map<string, number>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (url.pathname === CONTROL_PATH) return handleControl(faults, req, res);
  if (url.pathname === MODES_PATH) return handleModes(ctx.state, req, res);
  const segments = decodeSegments(url.pathname);
  const matched = route({ method: req.method ?? 'GET', segments, query: url.searchParams });
  if (!matched) {
    await readBody(req);
    throw new GoogleHttpError(404, 'notFound', `no route for ${req.method} ${url.pathname}`);
  }
  const key = `${req.method} ${matched.operation}`;
  requests.set(key, (requests.get(key) ?? 0) + 1);
  const isStatusQuery = matched.operation === 'objects.uploadChunk' && /^bytes \*\//.test(String(req.headers['content-range'] ?? ''));
  const taken = isStatusQuery ? undefined : faults.take(matched.operation);
  if (taken && 'delayMs' in taken) await new Promise((resolve) => setTimeout(resolve, taken.delayMs));
  const fault = taken && 'delayMs' in taken ? undefined : taken;
  if (fault && 'reset' in fault) return dropConnection(req, fault);
  const body = await readBody(req);
  if (fault && 'status' in fault)
    throw new GoogleHttpError(fault.status, fault.reason ?? reasonFor(fault.status), `injected fault: ${fault.status}`);
  const request: GcsRequest = { method: req.method ?? 'GET', segments, query: url.searchParams, headers: req.headers, body };
  const refused = refusal(
    ctx.state.modes,
    matched.operation,
    bucketOf(request, matched.operation),
    url.searchParams.get('project') ?? 'this project',
  );
  if (refused) throw refused;
  if (!fault) return matched.handler(ctx, request, res);
  req.socket.destroy();
  try {
    await matched.handler(ctx, request, res);
  } catch (error) {
    // The reply is lost by design (the socket is gone); only the side effect matters.
    void error;
  }
}

/** The bucket a request names: in the path, or in the body of buckets.insert. */
function bucketOf(req: GcsRequest, operation: string): string {
  if (operation !== 'buckets.insert') return names(req).bucket;
  const name = parseJsonBody(req.body).name;
  return typeof name === 'string' ? name : '';
}

function reasonFor(status: number): string {
  return status === 429 ? 'rateLimitExceeded' : status === 503 ? 'backendError' : 'internalError';
}

/** Path segments percent-decoded one by one (object names travel as one segment with `%2F` inside). */
function decodeSegments(pathname: string): string[] {
  const raw = pathname.split('/').filter((s) => s !== '');
  const segments = raw.map((s) => decodeURIComponent(s));
  return segments[0] === 'storage' && segments[1] === 'v1' ? segments.slice(2) : segments;
}

function answerError(res: ServerResponse, error: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error instanceof GoogleHttpError) return sendGoogleError(res, error.status, error.message, error.reason);
  if (error instanceof URIError) return sendGoogleError(res, 400, `malformed percent-encoding: ${error.message}`);
  sendGoogleError(res, 500, `emulator bug: ${error instanceof Error ? error.message : String(error)}`);
}
