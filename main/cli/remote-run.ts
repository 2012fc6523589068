import { request } from 'node:http';
import WebSocket from 'ws';
import type { RunEvent, RunScope } from '../model/run-events.ts';
import { OperationalError, UserError } from '../model/errors.ts';
import { runJsonOfRecord, type RunJson } from './run-json.ts';
import type { ServerFile } from '../serve/server-file.ts';
import type { MethodName } from '../api/contract.ts';
import type { CallReply, EventMessage, MethodParams, MethodResult } from '../api/api-types.ts';

/** What `pipewright run` asks of the process that holds the project. */
export type RemoteRunRequest =
  { kind: 'start'; pipelineId: string; scope: RunScope; variables: Record<string, string> } | { kind: 'resume'; runId: string };

/**
 * Runs a pipeline through the `pipewright serve` (or desktop app) that holds the project: starts it over the API,
 * passes every event of that run to `onEvent` as it happens, cancels it when `signal` aborts, and resolves with the
 * recorded result once it finishes.
 */
export async function runThroughServer(
  server: ServerFile,
  run: RemoteRunRequest,
  onEvent: (event: RunEvent) => void,
  signal: AbortSignal,
): Promise<RunJson> {
  const events = await openEventStream(server);
  try {
    // Events may arrive before the answer names the run: keep them until it does.
    const early: RunEvent[] = [];
    let runId: string | null = null;
    let finish: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const onRunEvent = (event: RunEvent) => {
      onEvent(event);
      if (event.type === 'run.finished') finish();
    };
    events.onMessage((event) => {
      if (runId === null) early.push(event);
      else if (event.runId === runId) onRunEvent(event);
    });
    const started =
      run.kind === 'start'
        ? await callApi(server, 'runs.start', { pipelineId: run.pipelineId, scope: run.scope, variables: run.variables, via: 'cli' })
        : await callApi(server, 'runs.retryFailed', { runId: run.runId, via: 'cli' });
    runId = started.runId;
    for (const event of early.splice(0)) if (event.runId === runId) onRunEvent(event);
    const cancel = () => void callApi(server, 'runs.cancel', { runId: started.runId }).catch(() => undefined);
    signal.addEventListener('abort', cancel, { once: true });
    try {
      // The stream can drop (the server stopped): the record then says how the run ended.
      await Promise.race([finished, events.closed]);
    } finally {
      signal.removeEventListener('abort', cancel);
    }
    const { run: detail } = await callApi(server, 'runs.get', { runId: started.runId });
    if (!detail) throw new OperationalError(`the server at ${server.origin} has no record of run ${started.runId}`);
    return runJsonOfRecord(detail);
  } finally {
    events.close();
  }
}

const headersFor = (server: ServerFile) => ({ authorization: `Bearer ${server.token}`, origin: server.origin });

/**
 * Whether the server named in server.json answers as this project's (a pid the OS reused for another program leaves a
 * file that looks live but nobody listening).
 */
export async function serverAnswers(server: ServerFile): Promise<boolean> {
  return callApi(server, 'app.info', {}, 2000).then(
    () => true,
    () => false,
  );
}

/** One API call, typed from the contract; a refusal or an error answer becomes an error with the server's own message. */
export function callApi<M extends MethodName>(
  server: ServerFile,
  method: M,
  params: MethodParams<M>,
  timeoutMs?: number,
): Promise<MethodResult<M>> {
  const body = JSON.stringify({ method, params });
  return new Promise((resolve, reject) => {
    const req = request(
      `${server.origin}/api/call`,
      { method: 'POST', headers: { ...headersFor(server), 'content-type': 'application/json' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          if (res.statusCode !== 200) return reject(new OperationalError(`${server.origin} refused ${method}: ${text.trim()}`));
          const reply = JSON.parse(text) as CallReply<MethodResult<M>>;
          if (reply.ok) return resolve(reply.result);
          const { message, place = {} } = reply.error;
          reject(reply.error.kind === 'user' ? new UserError(message, place) : new OperationalError(message, { place, permanent: true }));
        });
      },
    );
    req.on('error', (error) =>
      reject(new OperationalError(`cannot reach the Pipewright server at ${server.origin}: ${error.message}`, { cause: error })),
    );
    if (timeoutMs !== undefined) req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.end(body);
  });
}

interface EventStream {
  onMessage(listener: (event: RunEvent) => void): void;
  /** Resolves when the stream ends (the server stopped or dropped it). */
  closed: Promise<void>;
  close(): void;
}

function openEventStream(server: ServerFile): Promise<EventStream> {
  const url = `${server.origin.replace(/^http/, 'ws')}/api/events`;
  const socket = new WebSocket(url, { headers: headersFor(server) });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return new Promise((resolve, reject) => {
    socket.once('error', (error) =>
      reject(new OperationalError(`cannot follow the run on ${server.origin}: ${error.message}`, { cause: error })),
    );
    socket.once('open', () =>
      resolve({
        onMessage: (listener) =>
          socket.on('message', (data) => {
            const message = JSON.parse(String(data)) as EventMessage;
            if (message.event === 'runs.event') listener(message.payload);
          }),
        closed,
        close: () => socket.close(),
      }),
    );
  });
}
