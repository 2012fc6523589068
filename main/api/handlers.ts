import { checkPipeline } from '../preflight/check-pipeline.ts';
import type { Pipeline } from '../model/project.ts';
import { previewWarehouseBlock, profileWarehouseBlock } from '../runtime/warehouse-preview.ts';
import os from 'node:os';
import { ContractError, isMethodName, methods, parseParams, type MethodName } from './contract.ts';
import type { CallReply, EmitEvent, HandlersOf } from './api-types.ts';
import type { OpenProject } from '../runtime/open-project.ts';
import { toErrorShape } from '../model/errors.ts';
import type { RunRequest } from '../model/engine-types.ts';
import { readBlockCode, saveBlockCode } from './block-code.ts';
import { explainPreviewError } from './preview-errors.ts';
import { createEditHandlers, loadWithVersion } from './edit-handlers.ts';
import { createConnectionsHandlers } from './connections-handlers.ts';
import { createBackfillHandlers } from './backfill-handlers.ts';
import { createSchedulesHandlers, type SchedulerAccess } from './schedules-handlers.ts';
import { planResume } from './retry-failed.ts';
import { createDesignHandlers } from './design-handlers.ts';
import { createConsoleHandlers } from './console-history.ts';
import { createProjectsHandlers, type ProjectSwitcher } from './projects-handlers.ts';
import { listPipelineIds } from '../project/load-project.ts';
import { readPipelineVersion } from '../project/pipeline-writer.ts';
import { listTriggerDescriptions } from '../orchestration/triggers.ts';

/** A shell that brings no project switcher (tests, the CLI's local handlers): the picker says so. */
const NO_PROJECT_SWITCH = { refused: 'this window cannot switch projects: restart Pipewright with --project <folder>' };

/** Every method of the contract with its handler, each taking the params its schema parsed. */
export type ApiHandlers = HandlersOf<MethodName>;

/** Where this process serves the HTTP API (serve, or the desktop app's loopback API), once it listens; null without one. */
export interface LocalApi {
  origin: string | null;
}

/** `runs.queue`: a run (of any trigger) entered or left the wait for a free run slot. */
export type { RunQueueEvent } from '../runtime/run-launcher.ts';

/**
 * The contract's methods over an open project. Both transports (Electron IPC, serve) call `dispatch`;
 * `emit` pushes events to every connected shell.
 */
export function createApiHandlers(
  open: OpenProject,
  emit: EmitEvent,
  local: LocalApi = { origin: null },
  schedules: SchedulerAccess = {},
  projects: ProjectSwitcher | { refused: string } = NO_PROJECT_SWITCH,
) {
  /** Starts a run from the app (or a handed-over CLI run); resolves with its id once it started (usage errors reject before). */
  const startRun = async (
    request: Pick<RunRequest, 'pipeline' | 'scope' | 'variables' | 'executionDate' | 'interval'>,
    via: 'app' | 'cli' = 'app',
  ): Promise<{ runId: string; queued?: true }> => {
    const run = open.runs.launch({ ...request, trigger: { kind: via, by: os.userInfo().username } });
    // Behind max_concurrent_runs (on_limit: queue) the run waits for a slot: answer now, its events follow later.
    if (run.isQueued) return { runId: run.runId, queued: true };
    // Usage errors (unknown variable, missing upstream output) reject before the run starts: the caller gets them.
    await run.started;
    return { runId: run.runId };
  };
  // Every run of the project reaches every shell, whatever started it (a schedule, an API trigger, a backfill).
  open.runs.onEvent((event) => emit('runs.event', event));
  open.runs.onQueue((event) => emit('runs.queue', event));
  // Desktop alerts reach every shell: Electron turns them into notifications, the UI into toasts.
  open.alerts.onAlert((alert) => emit('alerts.raised', alert));
  const handlers = {
    'app.info': async () => ({
      version: '0.1.0',
      node: process.versions.node,
      electron: process.versions.electron ?? null,
      project: open.project.settings.name,
      apiOrigin: local.origin,
    }),
    // Listed from disk each time: pipelines are created by the app and by other editors while it runs.
    'pipelines.list': async () => ({ pipelines: await listPipelineIds(open.project.dir) }),
    'pipelines.get': async (p) => {
      const { pipeline, version } = await loadWithVersion(open, p.pipelineId);
      return {
        id: pipeline.id,
        version,
        spec: pipeline.spec,
        layout: pipeline.layout,
        blocks: pipeline.blocks.map((b) => ({ ...b, code: b.code?.text ?? null })),
      };
    },
    'pipelines.check': async (p) => checkPipeline(open, p.pipelineId, { variables: p.variables }),
    'runs.start': async (p) => startRun({ pipeline: await open.loadPipeline(p.pipelineId), scope: p.scope, variables: p.variables }, p.via),
    'runs.cancel': async (p) => ({ cancelling: open.runs.cancel(p.runId) }),
    'runs.list': async (p) => ({ runs: open.store.listRuns(p) }),
    // The overview: a fan-out's children are counted here and paged by runs.children (100,000 of them were 28 MB of JSON).
    'runs.get': async (p) => ({ run: open.store.getRunOverview(p.runId) ?? null }),
    'runs.children': async (p) => open.store.listChildren(p.runId, p.blockId, p),
    'runs.logs': async (p) => ({ logs: open.store.getLogs(p.runId, p) }),
    'outputs.preview': async (p) =>
      // A block that runs in a warehouse is previewed there (only its published table: past runs' tables are not kept).
      (await previewWarehouseBlock(open.project, await pipelineIfValid(open, p.pipelineId), p.blockId, p.window)) ??
      open.workspace.preview(p.pipelineId, p.blockId, p.window, p.runId).catch((error: unknown) => {
        throw explainPreviewError(error, p.blockId);
      }),
    'outputs.statsHistory': async (p) => ({
      runs: open.store.outputStatsHistory(p.pipelineId, p.blockId, p.limit),
    }),
    'outputs.ofRun': async (p) => ({
      outputs: (await open.workspace.runOutputs(p.pipelineId, p.runId)).map((o) => ({ blockId: o.blockId, rows: o.rows })),
    }),
    'outputs.profile': async (p) => ({
      columns:
        (await profileWarehouseBlock(open.project, await pipelineIfValid(open, p.pipelineId), p.blockId)) ??
        (await open.workspace.profile(p.pipelineId, p.blockId)),
    }),
    'workspace.query': async (p) => open.workspace.query(p.sql, p.window),
    'triggers.list': async (p) => {
      const { triggers, problems } = await listTriggerDescriptions(open);
      const wanted = (id: string) => p.pipelineId === undefined || id === p.pipelineId;
      return { triggers: triggers.filter((t) => wanted(t.pipelineId)), problems: problems.filter((x) => wanted(x.pipelineId)) };
    },
    'blocks.readCode': async (p) => readBlockCode(open.project.dir, await open.loadPipeline(p.pipelineId), p.blockId),
    'blocks.saveCode': async (p) => {
      const saved = await saveBlockCode(open.project.dir, await open.loadPipeline(p.pipelineId), p.blockId, p.text, p.expectedHash);
      // Told now, not when the file watcher notices: a window that saves and then runs hears of the save first.
      emit('pipelines.changed', {
        pipelineId: p.pipelineId,
        version: await readPipelineVersion(open.project.dir, p.pipelineId),
        codeChanged: true,
      });
      return saved;
    },
    ...createEditHandlers(open, emit),
    ...createConnectionsHandlers(open),
    ...createBackfillHandlers(open, emit),
    ...createSchedulesHandlers(schedules, emit),
    ...createDesignHandlers(open),
    ...createConsoleHandlers(open),
    ...createProjectsHandlers(open, projects),
    'runs.retryFailed': async (p): Promise<{ runId: string }> => startRun(await planResume(open, p.runId), p.via),
  } satisfies ApiHandlers;
  return handlers;
}

/**
 * The one dispatcher every transport uses (Electron IPC, serve's HTTP, tests): answers only the contract's methods
 * that have a handler, validates params against the contract, and answers `{ ok, result }` or `{ ok: false, error }`
 * in the transport shape. Never throws.
 */
export async function dispatch(handlers: Partial<ApiHandlers>, method: unknown, params: unknown): Promise<CallReply> {
  try {
    if (!isMethodName(method) || !Object.hasOwn(handlers, method))
      throw new ContractError(`unknown method '${String(method)}'`, { path: 'method' });
    const handler = handlers[method] as (p: unknown) => Promise<unknown>;
    return { ok: true, result: await handler(parseParams(method, params)) };
  } catch (error) {
    return { ok: false, error: toErrorShape(error) };
  }
}

/** A transport's view of the API: the methods it may offer, and the dispatcher to call them through. */
export interface ApiDispatcher {
  /** The contract's methods that have a handler, sorted (the preload's allow-list). */
  readonly methods: readonly MethodName[];
  call(method: unknown, params: unknown): Promise<CallReply>;
}

/** Binds `dispatch` to a set of handlers (all of the contract's, or a few of them before a project is open). */
export function createDispatcher(handlers: Partial<ApiHandlers>): ApiDispatcher {
  const names = (Object.keys(methods) as MethodName[]).filter((name) => Object.hasOwn(handlers, name)).sort();
  return { methods: names, call: (method, params) => dispatch(handlers, method, params) };
}

/** The pipeline when it loads; an invalid one still previews its local outputs (its blocks' engines are unknown). */
async function pipelineIfValid(open: OpenProject, pipelineId: string): Promise<Pipeline | undefined> {
  return open.loadPipeline(pipelineId).catch(() => undefined); // the preview of a stored output does not need the files to be valid
}
