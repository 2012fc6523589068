import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { GoogleHttpError, dropConnection, readBody, reasonForStatus, sendGoogleError } from '../http-util.ts';
import { Catalog } from './catalog.ts';
import { CONTROL_PATH, handleControl } from './control.ts';
import { FaultSwitch } from './faults.ts';
import { JobRunner, uploadsDir } from './jobs.ts';
import { bigQueryModesSchema, handleModes, MODES_PATH, refusal, type BigQueryModes } from './modes.ts';
import { ResumableUploads } from './resumable-upload.ts';
import { route, type BigQueryContext, type BigQueryRequest } from './routes.ts';

interface Served {
  ctx: BigQueryContext;
  faults: FaultSwitch;
  requests: Map<string, number>;
  state: { modes: BigQueryModes };
}

/**
 * Starts a BigQuery REST API v2 emulator (default on 127.0.0.1, a free port) over `<dataDir>/bigquery.duckdb`:
 * datasets, tables, load and query jobs, query results and table data, for the unmodified official client pointed
 * at `endpoint` through `apiEndpoint`. Loads read `gs://` URIs from the GCS emulator's folder (`gcsDataDir`, same
 * machine) or over its HTTP API (`gcsEndpoint`). Faults are queued through `POST <endpoint>/_emulator/faults`; project
 * states (missing permissions, API disabled) are set with `modes` or `POST <endpoint>/_emulator/modes` (modes.ts).
 */
export async function startBigQueryEmulator(opts: {
  dataDir: string;
  port?: number;
  host?: string;
  gcsDataDir?: string;
  gcsEndpoint?: string;
  modes?: Partial<BigQueryModes>;
}): Promise<{ endpoint: string; port: number; close(): Promise<void> }> {
  const catalog = await Catalog.open(opts.dataDir);
  const jobs = new JobRunner(catalog, { gcsDataDir: opts.gcsDataDir, gcsEndpoint: opts.gcsEndpoint?.replace(/\/+$/, '') }, opts.dataDir);
  await jobs.failInterrupted();
  const dir = uploadsDir(opts.dataDir);
  const served: Served = {
    ctx: { catalog, jobs, uploads: new ResumableUploads(dir), uploadsDir: dir, baseUrl: '' },
    faults: new FaultSwitch(),
    requests: new Map(),
    state: { modes: bigQueryModesSchema.parse(opts.modes ?? {}) },
  };
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    handle(served, req, res).catch((error: unknown) => answerError(res, error));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const host = opts.host ?? '127.0.0.1';
  try {
    await listen(server, opts.port ?? 0, host);
  } catch (error) {
    await catalog.close();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  served.ctx.baseUrl = `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host}:${port}`;
  return {
    endpoint: served.ctx.baseUrl,
    port,
    close: async () => {
      await new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      });
      await jobs.drain();
      await served.ctx.uploads.clear();
      await catalog.close();
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
}

async function handle(served: Served, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (url.pathname === CONTROL_PATH) return handleControl(served.faults, served.requests, req, res);
  if (url.pathname === MODES_PATH) return handleModes(served.state, req, res);
  const { segments, isUpload } = splitPath(url.pathname);
  const matched = route({ method: req.method ?? 'GET', segments, isUpload, query: url.searchParams });
  if (!matched) {
    await readBody(req);
    throw new GoogleHttpError(404, 'notFound', `no route for ${req.method} ${url.pathname}`);
  }
  served.requests.set(matched.operation, (served.requests.get(matched.operation) ?? 0) + 1);
  const isExistingJob =
    (matched.operation === 'jobs.get' || matched.operation === 'jobs.cancel') && served.ctx.catalog.jobs.has(segments[3] ?? '');
  const taken = served.faults.take(matched.operation, { isExistingJob });
  if (taken && 'delayMs' in taken) await new Promise((resolve) => setTimeout(resolve, taken.delayMs));
  const injectedJobError = taken && 'failJob' in taken ? taken.failJob : undefined;
  const heldJobMs = taken && 'holdJob' in taken ? taken.holdJob.ms : undefined;
  const fault = taken && ('delayMs' in taken || 'failJob' in taken || 'holdJob' in taken) ? undefined : taken;
  if (fault && 'reset' in fault) return dropConnection(req, fault);
  const body = await readBody(req);
  if (fault && 'status' in fault)
    throw new GoogleHttpError(fault.status, fault.reason ?? reasonForStatus(fault.status), `injected fault: ${fault.status}`);
  const refused = refusal(served.state.modes, matched.operation, segments);
  if (refused) throw refused;
  const request: BigQueryRequest = {
    method: req.method ?? 'GET',
    segments,
    isUpload,
    query: url.searchParams,
    headers: req.headers,
    body,
    ...(injectedJobError ? { injectedJobError } : {}),
    ...(heldJobMs ? { heldJobMs } : {}),
  };
  if (!fault) return matched.handler(served.ctx, request, res);
  // resetAfterCommit: do the work, lose the reply.
  req.socket.destroy();
  try {
    await matched.handler(served.ctx, request, res);
  } catch (error) {
    void error; // nobody is listening for this reply any more; only the side effect matters
  }
}

/** `/bigquery/v2/projects/…` or `/projects/…` (BIGQUERY_EMULATOR_HOST users), and `/upload/bigquery/v2/projects/…`. */
function splitPath(pathname: string): { segments: string[]; isUpload: boolean } {
  let segments = pathname
    .split('/')
    .filter((s) => s !== '')
    .map((s) => decodeURIComponent(s));
  const isUpload = segments[0] === 'upload';
  if (isUpload) segments = segments.slice(1);
  if (segments[0] === 'bigquery' && segments[1] === 'v2') segments = segments.slice(2);
  return { segments, isUpload };
}

function answerError(res: ServerResponse, error: unknown): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  if (error instanceof GoogleHttpError) return sendGoogleError(res, error.status, error.message, error.reason);
  if (error instanceof URIError) return sendGoogleError(res, 400, `malformed percent-encoding: ${error.message}`);
  sendGoogleError(res, 500, `emulator bug: ${error instanceof Error ? error.message : String(error)}`);
}
