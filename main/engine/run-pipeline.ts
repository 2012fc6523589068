import { UserError } from '../model/errors.ts';
import { redactVariables } from '../model/redact-variables.ts';
import { redactError, redactEvent } from '../model/redact-url.ts';
import type { LoadedBlock } from '../model/project.ts';
import type { BlockKind } from '../model/block-kind.ts';
import type { BlockResult, EngineDeps, RunRequest, RunResult } from '../model/engine-types.ts';
import type { BlockStatus, RunEvent, RunScope } from '../model/run-events.ts';
import { dataUpstreamOf, descendantsOf, selectBlocks } from '../model/plan.ts';
import { resolveRunVariables } from './run-variables.ts';
import { newRunId } from '../model/run-ids.ts';
import type { BlockFinal, RunEnv } from './block-runner.ts';
import { runNode } from './run-node.ts';
import { SlotPool } from './slot-pool.ts';
import { removeUnusedStaging } from './file-sink.ts';

const HEARTBEAT_MS = 5_000;

/**
 * Runs a pipeline (or the part of it that `scope` names) to the end and resolves with its result.
 * Usage problems (unknown block, missing upstream output, unknown variable) throw a UserError before the run
 * is recorded; anything that goes wrong once it started is recorded and reported in the result instead.
 */
export async function runPipeline(request: RunRequest, deps: EngineDeps): Promise<RunResult> {
  const { pipeline, project } = request;
  // 1. Plan: which blocks run, what they read from earlier runs, with which variables.
  const selected = selectBlocks(pipeline.blocks, request.scope);
  const blocks = new Map(pipeline.blocks.map((b) => [b.id, b]));
  await checkStoredUpstream(request, deps, selected);
  const runId = request.runId ?? newRunId();
  const originRunId = originOf(request.scope) ?? runId;
  const variables = resolveRunVariables(pipeline, request.variables ?? {}, {
    runId,
    pipelineId: pipeline.id,
    executionDate: request.executionDate ?? new Date(),
    ...(request.interval ? { interval: request.interval } : {}),
  });
  const kindOf = (block: LoadedBlock): BlockKind => {
    const kind = deps.kinds.get(block.type, block.kind);
    if (!kind) throw new UserError(`unknown block kind ${block.type}/${block.kind}`, { block: block.id });
    return kind;
  };

  // 2. Start: record the run, hold its workspace tables, keep its lease fresh.
  const started = Date.now();
  // Credentials in URLs (a signed URL in a variable, a password in an error) never reach the history, logs or UI.
  const emit = (event: RunEvent) => {
    const safe = redactEvent(event);
    deps.recorder?.record(safe);
    deps.onEvent?.(safe);
  };
  const runSignal = request.signal ?? new AbortController().signal;
  emit({
    type: 'run.started',
    runId,
    pipelineId: pipeline.id,
    scope: request.scope,
    blocks: selected,
    trigger: request.trigger,
    variables: redactVariables(variables),
    pipelineHash: pipeline.pipelineHash,
    codeHash: pipeline.codeHash,
    at: started,
  });
  deps.workspace.beginRun(runId);
  const heartbeat = setInterval(() => deps.recorder?.heartbeat(runId), HEARTBEAT_MS);
  heartbeat.unref();

  // 3. Execute ready blocks under the concurrency limit until nothing is left.
  const env: RunEnv = {
    project,
    pipeline,
    runId,
    originRunId,
    variables,
    kindOf,
    workspace: deps.workspace,
    connections: deps.connections,
    sandbox: deps.sandbox,
    runOutputs: new Map(),
    emit,
    runSignal,
    random: deps.random ?? Math.random,
    ...(request.connectionOverrides ? { connectionOverrides: request.connectionOverrides } : {}),
    ...(deps.recorder?.previousOutputStats
      ? { baselineOf: (blockId: string) => deps.recorder?.previousOutputStats?.(pipeline.id, blockId) }
      : {}),
    ...(deps.recorder?.settledRunIds ? { settledRunIds: () => deps.recorder?.settledRunIds?.() ?? [] } : {}),
    runEndTasks: [],
    selectedBlocks: new Set(selected),
    stagedExports: new Map(),
  };
  const finals = new Map<string, BlockFinal>();
  const statuses = new Map<string, BlockStatus>(selected.map((id) => [id, 'pending']));
  try {
    for (const id of selected) emit({ type: 'block.queued', runId, blockId: id, at: Date.now() });
    await executeGraph(env, selected, blocks, statuses, finals, pipeline.spec.concurrency ?? project.settings.engine.concurrency);
  } finally {
    clearInterval(heartbeat);
    await removeUnusedStaging(env).catch((error: unknown) => {
      const message = `end of run: staged export files not removed: ${error instanceof Error ? error.message : String(error)}`;
      env.emit({ type: 'log.written', runId: env.runId, blockId: null, level: 'warn', message, at: Date.now() });
    });
    await runEndTasks(env);
    await deps.workspace.endRun(runId);
  }

  // 4. Finish: every block has a final state; the run's status follows from them.
  // Skipped blocks (condition false, no items) were meant not to run: they do not fail the run.
  const status = runSignal.aborted
    ? 'cancelled'
    : [...statuses.values()].every((s) => s === 'succeeded' || s === 'skipped')
      ? 'succeeded'
      : 'failed';
  const durationMs = Date.now() - started;
  const firstError = [...finals.values()].find((f) => (f.status === 'failed' || f.status === 'upstream_failed') && f.error)?.error;
  emit({ type: 'run.finished', runId, status, durationMs, ...(firstError ? { error: firstError } : {}), at: Date.now() });
  return {
    runId,
    pipeline: pipeline.id,
    status,
    durationMs,
    blocks: selected.map((id) => toBlockResult(id, statuses.get(id) ?? 'pending', finals.get(id))),
  };
}

async function executeGraph(
  env: RunEnv,
  selected: string[],
  blocks: Map<string, LoadedBlock>,
  statuses: Map<string, BlockStatus>,
  finals: Map<string, BlockFinal>,
  concurrency: number,
): Promise<void> {
  const inRun = new Set(selected);
  // Blocks and dynamic children share the run's concurrency limit through these slots.
  const slots = new SlotPool(concurrency, env.runSignal);
  const running = new Map<string, Promise<void>>();
  const isReady = (id: string) =>
    statuses.get(id) === 'pending' && (blocks.get(id)?.upstream ?? []).every((up) => !inRun.has(up) || statuses.get(up) === 'succeeded');
  const settle = (id: string, final: BlockFinal) => {
    finals.set(id, final);
    statuses.set(id, final.status);
    if (final.status === 'failed' || final.status === 'upstream_failed')
      skipDownstream(env, id, 'upstream_failed', [...blocks.values()], statuses);
    if (final.status === 'skipped') skipDownstream(env, id, 'skipped', [...blocks.values()], statuses);
  };
  for (;;) {
    if (!env.runSignal.aborted) {
      for (const id of selected) {
        const block = blocks.get(id);
        if (!block || !isReady(id)) continue;
        statuses.set(id, 'running');
        running.set(
          id,
          runNode(env, block, blocks, slots)
            .then((final) => settle(id, final))
            .finally(() => running.delete(id)),
        );
      }
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  for (const id of selected) {
    if (statuses.get(id) === 'pending') {
      statuses.set(id, 'cancelled');
      env.emit({ type: 'block.cancelled', runId: env.runId, blockId: id, at: Date.now() });
    }
  }
}

/** A failed block fails its pending downstream (upstream_failed); a skipped one skips it, which does not fail the run. */
function skipDownstream(
  env: RunEnv,
  fromId: string,
  status: 'skipped' | 'upstream_failed',
  blocks: LoadedBlock[],
  statuses: Map<string, BlockStatus>,
): void {
  const reason = status === 'skipped' ? `upstream block ${fromId} was skipped` : `upstream block ${fromId} failed`;
  for (const id of descendantsOf(blocks, fromId)) {
    if (statuses.get(id) !== 'pending') continue;
    statuses.set(id, status);
    env.emit({ type: 'block.skipped', runId: env.runId, blockId: id, status, reason, at: Date.now() });
  }
}

/** Blocks that run alone read their upstream's stored outputs: fail early, before a run is recorded, if there are none. */
async function checkStoredUpstream(request: RunRequest, deps: EngineDeps, selected: string[]): Promise<void> {
  const inRun = new Set(selected);
  for (const id of selected) {
    const block = request.pipeline.blocks.find((b) => b.id === id);
    for (const up of block ? dataUpstreamOf(block, request.pipeline.blocks) : []) {
      if (inRun.has(up)) continue;
      if (!(await deps.workspace.latestOutput(request.pipeline.id, up))) {
        throw new UserError(`block ${id} reads ${up}, which has no stored output yet: run the pipeline once, or use --with-upstream`, {
          block: id,
        });
      }
    }
  }
}

/** The run a resume or retry finishes (RunScope's `origin`), if this is one. */
export function originOf(scope: RunScope): string | undefined {
  return (scope.kind === 'blocks' || scope.kind === 'pipeline') && scope.origin ? scope.origin : undefined;
}

function toBlockResult(id: string, status: BlockStatus, final: BlockFinal | undefined): BlockResult {
  return {
    id,
    status,
    rows: final?.outcome?.rowsOut ?? null,
    durationMs: final ? final.durationMs : null,
    attempts: final?.attempts ?? 0,
    error: redactError(final?.error ?? null),
  };
}

/** How long one end-of-run task may take: a warehouse that does not answer must not keep the run from finishing. */
const RUN_END_TASK_MS = 60_000;

/** The blocks' end-of-run work, one task after another; a failure is a warning of the run, never its status. */
async function runEndTasks(env: RunEnv): Promise<void> {
  for (const task of env.runEndTasks ?? []) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`gave up after ${RUN_END_TASK_MS / 1000} s`)), RUN_END_TASK_MS);
    });
    try {
      await Promise.race([task(), timeout]);
    } catch (error) {
      const message = `end of run: ${error instanceof Error ? error.message : String(error)}`;
      env.emit({ type: 'log.written', runId: env.runId, blockId: null, level: 'warn', message, at: Date.now() });
    } finally {
      clearTimeout(timer);
    }
  }
}
