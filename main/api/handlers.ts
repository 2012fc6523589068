import { ContractError, isMethodName, parseParams, type EventName, type MethodName } from './contract.ts';
import type { OpenProject } from '../runtime/open-project.ts';
import { newRunId } from '../engine/run-ids.ts';
import { toErrorShape } from '../errors.ts';
import type { RunEvent } from '../engine/run-events.ts';

type Handler = (params: never) => Promise<unknown>;
export type ApiHandlers = { [M in MethodName]: Handler };

/**
 * The contract's methods over an open project. Both transports (Electron IPC, serve) call `dispatch`;
 * `emit` pushes events to every connected shell.
 */
export function createApiHandlers(open: OpenProject, emit: (event: EventName, payload: unknown) => void) {
  const running = new Map<string, AbortController>();
  const handlers = {
    'app.info': async () => ({ version: '0.1.0', node: process.versions.node, electron: process.versions.electron ?? null, project: open.project.settings.name }),
    'pipelines.list': async () => ({ pipelines: open.project.pipelineIds }),
    'pipelines.get': async (p: { pipelineId: string }) => {
      const pipeline = await open.loadPipeline(p.pipelineId);
      return { id: pipeline.id, spec: pipeline.spec, layout: pipeline.layout, blocks: pipeline.blocks.map((b) => ({ ...b, code: b.code?.text ?? null })) };
    },
    'runs.start': async (p: { pipelineId: string; scope: Parameters<OpenProject['run']>[0]['scope']; variables: Record<string, string> }) => {
      const pipeline = await open.loadPipeline(p.pipelineId);
      const runId = newRunId();
      const controller = new AbortController();
      running.set(runId, controller);
      let markStarted: () => void = () => undefined;
      const started = new Promise<void>((resolve) => (markStarted = resolve));
      const onEvent = (event: RunEvent) => {
        if (event.type === 'run.started') markStarted();
        emit('runs.event', event);
      };
      const finished = open.run({ pipeline, scope: p.scope, variables: p.variables, trigger: { kind: 'app' }, signal: controller.signal, runId }, onEvent);
      finished.catch(() => undefined).finally(() => running.delete(runId));
      // Usage errors (unknown variable, missing upstream output) reject before the run starts: the caller gets them.
      await Promise.race([started, finished]);
      return { runId };
    },
    'runs.cancel': async (p: { runId: string }) => {
      running.get(p.runId)?.abort();
      return { cancelling: running.has(p.runId) };
    },
    'runs.list': async (p: { pipelineId?: string; limit: number; offset: number }) => ({ runs: open.store.listRuns(p) }),
    'runs.get': async (p: { runId: string }) => ({ run: open.store.getRun(p.runId) ?? null }),
    'runs.logs': async (p: { runId: string; blockId?: string; afterId?: number; limit: number }) => ({ logs: open.store.getLogs(p.runId, p) }),
    'outputs.preview': async (p: { pipelineId: string; blockId: string; window: Parameters<OpenProject['workspace']['preview']>[2] }) =>
      open.workspace.preview(p.pipelineId, p.blockId, p.window),
    'outputs.profile': async (p: { pipelineId: string; blockId: string }) => ({ columns: await open.workspace.profile(p.pipelineId, p.blockId) }),
    'workspace.query': async (p: { sql: string; window: { offset: number; limit: number } }) => open.workspace.query(p.sql, p.window),
  } satisfies ApiHandlers;
  return handlers;
}

/** Validates and runs one call; resolves `{ ok, result }` or `{ ok: false, error }` in the transport shape. */
export async function dispatch(handlers: ApiHandlers, method: unknown, params: unknown): Promise<{ ok: true; result: unknown } | { ok: false; error: ReturnType<typeof toErrorShape> }> {
  try {
    if (!isMethodName(method)) throw new ContractError(`unknown method ${String(method)}`);
    const parsed = parseParams(method, params);
    const handler = handlers[method] as (p: unknown) => Promise<unknown>;
    return { ok: true, result: await handler(parsed) };
  } catch (error) {
    return { ok: false, error: toErrorShape(error) };
  }
}
