import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { PipewrightError, UserError, toErrorShape } from '../model/errors.ts';
import { listPipelineIds } from '../project/load-project.ts';
import type { Pipeline } from '../model/project.ts';
import type { OpenProject } from '../runtime/open-project.ts';
import { RunLimitReachedError } from '../runtime/run-limit.ts';
import { findApiTrigger } from '../orchestration/triggers.ts';
import { checkOrigin, checkToken, decodeOrNull, type Guard } from './request-guards.ts';

/**
 * The API trigger: `POST /api/pipelines/<id>/runs` starts a run (body `{ "variables": {…} }`, optional) and answers
 * 201 `{ runId }`; `GET /api/runs/<id>` answers the run's status; `POST /api/runs/<id>/cancel` cancels it (202), whatever
 * started it. Enough for cron, CI or another orchestrator.
 * Callers without a browser send `Authorization: Bearer <token>` and no Origin; a browser's Origin must be ours.
 */
export interface TriggerRoutes {
  guard: Guard;
  open: OpenProject;
}

const START_PATH = /^\/api\/pipelines\/([^/]+)\/runs$/;
const RUN_PATH = /^\/api\/runs\/([^/]+)$/;
const CANCEL_PATH = /^\/api\/runs\/([^/]+)\/cancel$/;
const MAX_BODY_BYTES = 64 * 1024;
const startBody = z.strictObject({ variables: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional() });

/** Whether `pathname` is one of the API trigger's routes. */
export function isTriggerRoute(pathname: string): boolean {
  return START_PATH.test(pathname) || RUN_PATH.test(pathname) || CANCEL_PATH.test(pathname);
}

/** Answers one request to an API trigger route (the Host check has passed already). */
export async function answerTriggerRoute(
  routes: TriggerRoutes,
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
): Promise<void> {
  const problem = checkOrigin(routes.guard, req, false) ?? checkToken(routes.guard, req, null);
  if (problem) return reply(res, 403, { error: problem });
  const start = START_PATH.exec(pathname);
  const cancel = CANCEL_PATH.exec(pathname);
  const name = decodeOrNull(start?.[1] ?? cancel?.[1] ?? RUN_PATH.exec(pathname)?.[1] ?? '');
  if (name === null) return reply(res, 400, { error: `malformed %-escape in ${pathname}` });
  if (start?.[1] !== undefined) {
    if (req.method !== 'POST') return reply(res, 405, { error: `use POST to start a run of a pipeline, not ${req.method}` });
    return startRun(routes, req, res, name);
  }
  if (cancel?.[1] !== undefined) {
    if (req.method !== 'POST') return reply(res, 405, { error: `use POST to cancel a run, not ${req.method}` });
    return cancelRun(routes.open, res, name);
  }
  const runId = name;
  if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, { error: `use GET to read a run, not ${req.method}` });
  const run = routes.open.store.getRunOverview(runId);
  if (run) return reply(res, 200, { runId: run.id, ...run });
  // Queued runs (and ones cancelled while queued) have no record in the history yet.
  const state = routes.open.runs.stateOf(runId);
  if (state) return reply(res, 200, { runId, pipelineId: state.pipelineId, status: state.status });
  return reply(res, 404, { error: `no run ${runId} in this project's history` });
}

function cancelRun(open: OpenProject, res: ServerResponse, runId: string): void {
  if (open.runs.cancel(runId)) return reply(res, 202, { runId, cancelling: true });
  const run = open.store.getRunOverview(runId);
  if (run)
    return reply(res, 409, {
      error: `run ${runId} is not running (it ${run.status === 'running' ? 'runs in another process' : `ended ${run.status}`})`,
    });
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
    return reply(res, 400, {
      error: `body ${issue?.path.join('.') || ''}: ${issue?.message ?? 'invalid'}; send {"variables": {"name": "value"}}`,
    });
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
  const run = routes.open.runs.launch({
    pipeline,
    scope: { kind: 'pipeline' },
    trigger: { kind: 'api', by: trigger.name },
    variables: { ...trigger.variables, ...parsed.data.variables },
  });
  try {
    if (!run.isQueued) await run.started;
  } catch (error) {
    return replyError(res, error, error instanceof RunLimitReachedError ? 409 : 400);
  }
  res.setHeader('location', `/api/runs/${run.runId}`);
  return reply(res, 201, { runId: run.runId, status: run.isQueued ? 'queued' : 'running' });
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
