import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { PipewrightError, UserError, toErrorShape } from '../errors.ts';
import { newRunId } from '../engine/run-ids.ts';
import type { RunEvent } from '../engine/run-events.ts';
import { listPipelineIds } from '../project/load-project.ts';
import type { Pipeline } from '../project/model.ts';
import type { OpenProject } from '../runtime/open-project.ts';
import { RunLimitReachedError } from '../orchestration/run-limit.ts';
import { findApiTrigger } from '../orchestration/triggers.ts';
import { checkOrigin, checkToken, decodeOrNull, type Guard } from './request-guards.ts';

/**
 * The API trigger: `POST /api/pipelines/<id>/runs` starts a run (body `{ "variables": {…} }`, optional) and answers
 * 201 `{ runId }`; `GET /api/runs/<id>` answers the run's status. Enough for cron, CI or another orchestrator.
 * Callers without a browser send `Authorization: Bearer <token>` and no Origin; a browser's Origin must be ours.
 */
export interface TriggerRoutes {
  guard: Guard;
  open: OpenProject;
  /** Pushes run events to the UI, like runs started from the app. */
  emit: (event: RunEvent) => void;
}

const START_PATH = /^\/api\/pipelines\/([^/]+)\/runs$/;
const RUN_PATH = /^\/api\/runs\/([^/]+)$/;
const MAX_BODY_BYTES = 64 * 1024;
const startBody = z.strictObject({ variables: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional() });

/** Runs accepted but still waiting for a slot (max_concurrent_runs): not in the run store yet. */
const queuedRuns = new WeakMap<OpenProject, Map<string, string>>();

/** Whether `pathname` is one of the API trigger's routes. */
export function isTriggerRoute(pathname: string): boolean {
  return START_PATH.test(pathname) || RUN_PATH.test(pathname);
}

/** Answers one request to an API trigger route (the Host check has passed already). */
export async function answerTriggerRoute(routes: TriggerRoutes, req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
  const problem = checkOrigin(routes.guard, req, false) ?? checkToken(routes.guard, req, null);
  if (problem) return reply(res, 403, { error: problem });
  const start = START_PATH.exec(pathname);
  const name = decodeOrNull(start?.[1] ?? RUN_PATH.exec(pathname)?.[1] ?? '');
  if (name === null) return reply(res, 400, { error: `malformed %-escape in ${pathname}` });
  if (start?.[1] !== undefined) {
    if (req.method !== 'POST') return reply(res, 405, { error: `use POST to start a run of a pipeline, not ${req.method}` });
    return startRun(routes, req, res, name);
  }
  const runId = name;
  if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, { error: `use GET to read a run, not ${req.method}` });
  const run = routes.open.store.getRun(runId);
  if (run) return reply(res, 200, { runId: run.id, ...run });
  const queuedFor = queuedRuns.get(routes.open)?.get(runId);
  if (queuedFor !== undefined) return reply(res, 200, { runId, pipelineId: queuedFor, status: 'queued' });
  return reply(res, 404, { error: `no run ${runId} in this project's history` });
}

async function startRun(routes: TriggerRoutes, req: IncomingMessage, res: ServerResponse, pipelineId: string): Promise<void> {
  // 1. The body: nothing, or JSON with optional variables.
  const body = await readJsonBody(req);
  if ('error' in body) {
    // An unread rest of the body would hold up the next request on this connection: close it.
    if (body.status === 413) res.setHeader('connection', 'close');
    return reply(res, body.status, { error: body.error });
  }
  const parsed = startBody.safeParse(body.value ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return reply(res, 400, { error: `body ${issue?.path.join('.') || ''}: ${issue?.message ?? 'invalid'}; send {"variables": {"name": "value"}}` });
  }
  // 2. The pipeline, which must allow API runs.
  let pipeline: Pipeline;
  try {
    pipeline = await routes.open.loadPipeline(pipelineId);
  } catch (error) {
    const exists = (await listPipelineIds(routes.open.project.dir)).includes(pipelineId);
    return replyError(res, error, exists ? 422 : 404);
  }
  const trigger = findApiTrigger(pipeline);
  if (!trigger) {
    return reply(res, 403, {
      error: `pipeline ${pipelineId} does not accept API runs: add a trigger \`- { name: api, type: api }\` under \`triggers:\` in pipelines/${pipelineId}/pipeline.yaml`,
    });
  }
  // 3. Start it; answer once it is recorded (or queued behind max_concurrent_runs).
  const runId = newRunId();
  try {
    await launch(routes, pipeline, runId, { ...trigger.variables, ...parsed.data.variables }, trigger.name);
  } catch (error) {
    return replyError(res, error, error instanceof RunLimitReachedError ? 409 : 400);
  }
  const queued = queuedRuns.get(routes.open)?.has(runId) === true;
  res.setHeader('location', `/api/runs/${runId}`);
  return reply(res, 201, { runId, status: queued ? 'queued' : 'running' });
}

/** Resolves once the run has started or is known to be queued; rejects with errors that stop it before it starts. */
async function launch(routes: TriggerRoutes, pipeline: Pipeline, runId: string, variables: Record<string, unknown>, triggerName: string): Promise<void> {
  const { open } = routes;
  const limit = pipeline.spec.max_concurrent_runs;
  const willQueue = limit !== undefined && pipeline.spec.on_limit !== 'skip' && open.activeRuns(pipeline.id) >= limit;
  const queued = queuedRuns.get(open) ?? new Map<string, string>();
  queuedRuns.set(open, queued);
  if (willQueue) queued.set(runId, pipeline.id);
  let markStarted: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (markStarted = resolve));
  const onEvent = (event: RunEvent) => {
    if (event.type === 'run.started' && event.runId === runId) {
      queued.delete(runId);
      markStarted();
    }
    routes.emit(event);
  };
  const finished = open.run({ pipeline, scope: { kind: 'pipeline' }, trigger: { kind: 'api', by: triggerName }, variables, runId }, onEvent);
  void finished.catch(() => undefined).finally(() => queued.delete(runId));
  if (willQueue) return;
  await Promise.race([started, finished]);
}

async function readJsonBody(req: IncomingMessage): Promise<{ value: unknown } | { status: number; error: string }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return { status: 413, error: `the body is larger than ${MAX_BODY_BYTES} bytes` };
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return { value: undefined };
  // A form or `text/plain` post cannot send this type without a CORS preflight, which we never answer.
  if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return { status: 415, error: 'send the body as application/json' };
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return { status: 400, error: 'the body is not valid JSON' };
  }
}

function replyError(res: ServerResponse, error: unknown, userStatus: number): void {
  if (!(error instanceof PipewrightError)) throw error;
  const status = error instanceof UserError || error instanceof RunLimitReachedError ? userStatus : 500;
  reply(res, status, { error: error.message, detail: toErrorShape(error) });
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(`${JSON.stringify(body)}\n`);
}
