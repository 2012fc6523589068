import { mkdirSync, mkdtempSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import {
  CancelledError,
  OperationalError,
  TimeoutError,
  UserCodeError,
  UserError,
  toErrorShape,
  type ErrorShape,
} from '../model/errors.ts';
import type { LoadedBlock, Pipeline, Project } from '../model/project.ts';
import type { BlockSession } from '../model/workspace-types.ts';
import type { BlockContext, BlockKind, BlockOutcome, ProgressUpdate } from '../model/block-kind.ts';
import type { AttemptOutputs, CodeSandbox, ConnectionResolver, EngineWorkspace } from '../model/engine-types.ts';
import { dataUpstreamOf } from '../model/plan.ts';
import type { BlockTestResult, LogLevel, OutputStats, RunEvent } from '../model/run-events.ts';
import { hasExplicitRetry, mergeRetryPolicy, retryDelayMs } from './retry-policy.ts';
import { parseConfig } from './block-config.ts';
import { discardStagedBy, fileSinkFor, stagedFilesFor, type StagedExports } from './file-sink.ts';
import { abortReason, raceAbort, sleep } from '../model/abort.ts';
import { runBlockTests } from './block-tests.ts';
import { runOutputGates, type BaselineLookup } from './output-gates.ts';
import { runInFaultScope } from './fault-scope.ts';
import { blockTimeout } from './block-timeout.ts';
import { createProgressThrottle } from './progress-throttle.ts';

/** What one run shares with each of its blocks. */
export interface RunEnv {
  project: Project;
  pipeline: Pipeline;
  runId: string;
  /** The run this one finishes (a resume's first run), else runId: see BlockContext.originRunId. */
  originRunId: string;
  variables: Record<string, unknown>;
  kindOf(block: LoadedBlock): BlockKind;
  workspace: EngineWorkspace;
  /** Resolves the block's named connections (the engine's deps). */
  connections: ConnectionResolver;
  /** Runs the user's TypeScript conditions and tests (the engine's deps). */
  sandbox: CodeSandbox;
  /** Blocks this run produced, mapped to their physical output tables. */
  runOutputs: Map<string, string>;
  emit(event: RunEvent): void;
  runSignal: AbortSignal;
  random: () => number;
  /** Per-run connection overrides (`--conn`). */
  connectionOverrides?: Record<string, Record<string, string>>;
  /** The stats of a block's previous successful run, for drift (absent without a run store). */
  baselineOf?: BaselineLookup;
  /** Where the block's attempts get their session and publish: a fan-out child's are its fan-out's (default: the workspace). */
  outputs?: AttemptOutputs;
  /** Runs of the history not in flight (absent without a run store): see BlockContext.settledRunIds. */
  settledRunIds?: () => Iterable<string>;
  /** Work blocks registered for the end of the run (BlockContext.onRunEnd); run-pipeline runs it. */
  runEndTasks?: (() => Promise<void>)[];
  /** The blocks this run runs (its scope); absent: all of the pipeline's. */
  selectedBlocks?: ReadonlySet<string>;
  /** Export files written by their upstream SQL block in this run (file-sink.ts); absent: blocks write tables. */
  stagedExports?: StagedExports;
}

export interface BlockFinal {
  status: 'succeeded' | 'failed' | 'cancelled' | 'skipped' | 'upstream_failed';
  attempts: number;
  outcome?: BlockOutcome;
  /** Why the block failed; for a fan-out whose children failed, the first child's error. */
  error?: ErrorShape;
  /** Why the block was skipped (condition false, no items, children failed). */
  reason?: string;
  durationMs: number;
}

export type AttemptResult =
  | { ok: true; outcome: BlockOutcome; tests: BlockTestResult[]; stats?: OutputStats }
  | { ok: false; error: unknown; tests?: BlockTestResult[] };

/** Runs one block to a final state: attempts with timeouts, retries with backoff, cancellation. Never throws. */
export async function runBlock(env: RunEnv, block: LoadedBlock): Promise<BlockFinal> {
  const retryConfigs = [env.project.settings.engine.retry, env.pipeline.spec.retry, block.retry] as const;
  const policy = mergeRetryPolicy(...retryConfigs);
  const retriesCodeErrors = hasExplicitRetry(...retryConfigs);
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    const attemptStart = Date.now();
    env.emit({ type: 'block.started', runId: env.runId, blockId: block.id, attempt, at: attemptStart });
    const result = await runAttempt(env, block, attempt);
    const durationMs = Date.now() - attemptStart;
    if (result.ok) {
      const { rowsIn, rowsOut, bytes } = result.outcome;
      env.emit({
        type: 'block.succeeded',
        runId: env.runId,
        blockId: block.id,
        attempt,
        durationMs,
        rowsIn,
        rowsOut,
        bytes,
        tests: result.tests,
        ...(result.stats ? { stats: result.stats } : {}),
        at: Date.now(),
      });
      return { status: 'succeeded', attempts: attempt, outcome: result.outcome, durationMs: Date.now() - started };
    }
    const cancelled = env.runSignal.aborted || result.error instanceof CancelledError;
    const error = toErrorShape(result.error, placeOf(block));
    if (result.error instanceof UserCodeError && retriesCodeErrors && !result.error.isPermanent) error.retryable = true;
    if (cancelled) {
      env.emit({ type: 'block.cancelled', runId: env.runId, blockId: block.id, at: Date.now() });
      return { status: 'cancelled', attempts: attempt, error, durationMs: Date.now() - started };
    }
    if (error.retryable && attempt <= policy.retries) {
      const retryAfter = result.error instanceof OperationalError ? result.error.retryAfterMs : undefined;
      const delayMs = retryDelayMs(policy, attempt, env.random, retryAfter);
      env.emit({ type: 'block.retrying', runId: env.runId, blockId: block.id, attempt, delayMs, error, at: Date.now() });
      try {
        await sleep(delayMs, env.runSignal);
        continue;
      } catch {
        // The run was cancelled while waiting to retry: the block ends cancelled, not failed.
        env.emit({ type: 'block.cancelled', runId: env.runId, blockId: block.id, at: Date.now() });
        return { status: 'cancelled', attempts: attempt, error, durationMs: Date.now() - started };
      }
    }
    env.emit({
      type: 'block.failed',
      runId: env.runId,
      blockId: block.id,
      attempt,
      durationMs,
      error,
      tests: result.tests,
      at: Date.now(),
    });
    return { status: 'failed', attempts: attempt, error, durationMs: Date.now() - started };
  }
}

function placeOf(block: LoadedBlock) {
  return block.code ? { block: block.id, file: block.code.relPath } : { block: block.id };
}

/**
 * One attempt: fresh session, temp dir and timeout; publishes the output only when the block and its tests pass.
 * Never throws: a failure comes back with the error as thrown (block kinds' tests drive this directly).
 */
export async function runAttempt(env: RunEnv, block: LoadedBlock, attempt: number): Promise<AttemptResult> {
  const controller = new AbortController();
  const onRunAbort = () => controller.abort(abortReason(env.runSignal));
  env.runSignal.addEventListener('abort', onRunAbort, { once: true });
  if (env.runSignal.aborted) onRunAbort();
  const limit = blockTimeout(block, env.project.settings.engine);
  const timer = limit
    ? setTimeout(
        () => controller.abort(new TimeoutError(`timed out after ${limit.seconds} s (${limit.source})`, { block: block.id })),
        limit.seconds * 1000,
      )
    : undefined;
  let session: BlockSession | undefined;
  const tempDir = lazyTempDir(env, block);
  let tests: BlockTestResult[] | undefined;
  let stats: OutputStats | undefined;
  let isAttemptOver = false;
  let running: Promise<unknown> | undefined;
  const outputs = env.outputs ?? workspaceOutputs(env, block);
  try {
    const kind = env.kindOf(block);
    const config = parseConfig(kind, block, env.variables);
    session = await outputs.open(attempt);
    const openSession = session;
    controller.signal.addEventListener('abort', () => openSession.interrupt(), { once: true });
    const ctx: BlockContext = {
      ...makeContext(env, block, attempt, openSession, controller.signal, ''),
      ...(limit ? { timeoutSeconds: limit.seconds } : {}),
    };
    // Made on first use: most blocks never write a file, and a fan-out's 100,000 children need not make 100,000 folders.
    Object.defineProperty(ctx, 'tempDir', { get: tempDir.path, enumerable: true });
    if (controller.signal.aborted) throw abortReason(controller.signal);
    // Faults that escape the kind's promises (a callback that throws) end this attempt, not the process.
    const scope = {
      runId: env.runId,
      blockId: block.id,
      // A socket or timer may outlive its attempt: a fault after the attempt ended is not this attempt's to record.
      fail: (error: Error) => {
        if (isAttemptOver || controller.signal.aborted) return false;
        controller.abort(error);
        return true;
      },
    };
    const work = runInFaultScope(scope, () => kind.run(ctx, config));
    running = work;
    const outcome = await raceAbort(work, controller.signal);
    logRowCounts(ctx, kind, outcome);
    tests = outcome.tests ?? [];
    const physical = openSession.outputTable;
    if (outcome.hasOutput && !physical) throw new Error(`block kind ${kind.type}/${kind.kind} reported an output but wrote none`);
    if (outcome.hasOutput && physical) tests = [...tests, ...(await raceAbort(runBlockTests(ctx, env.sandbox), controller.signal))];
    checkTests(ctx, tests);
    if (outcome.hasOutput && physical) {
      const gates = await raceAbort(runOutputGates(ctx, env.baselineOf), controller.signal);
      tests = [...tests, ...gates.results];
      stats = gates.stats;
      if (gates.failure) throw gates.failure;
      await outputs.publish(openSession, outcome.rowsOut ?? 0);
    }
    return { ok: true, outcome, tests: tests ?? [], ...(stats ? { stats } : {}) };
  } catch (error) {
    // Best effort: a table left behind is dropped by the sweep when the run ends.
    if (session?.outputTable) await outputs.discard(session).catch(() => undefined);
    // Files staged for the export are not its to publish now; left behind, the run's end removes them.
    await discardStagedBy(env, block.id).catch(() => undefined);
    return { ok: false, error: controller.signal.aborted ? abortReason(controller.signal) : error, tests };
  } finally {
    isAttemptOver = true;
    if (timer) clearTimeout(timer);
    env.runSignal.removeEventListener('abort', onRunAbort);
    // A cancelled or timed-out block's own cleanup (a partial download removed, a query stopped) ends before the
    // attempt does, so a CLI exiting right after leaves nothing half-written; bounded, for a block that ignores its signal.
    if (running && controller.signal.aborted) await settledWithin(running, CLEANUP_GRACE_MS);
    await session?.close().catch(() => undefined);
    await tempDir.remove();
  }
}

/** How long a cancelled block may take to clean up after its signal fired. */
const CLEANUP_GRACE_MS = 1000;

/** Waits for `work` to settle, at most `ms` (its outcome is not this wait's concern: the attempt already has one). */
async function settledWithin(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    work.then(
      () => undefined,
      () => undefined, // the block's rejection after its abort is the abort's, already reported
    ),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, ms))),
  ]);
  clearTimeout(timer);
}

/** An ordinary block's attempts: a session of their own, published as the block's latest output. */
function workspaceOutputs(env: RunEnv, block: LoadedBlock): AttemptOutputs {
  return {
    open: (attempt) =>
      env.workspace.openBlockSession({
        pipelineId: env.pipeline.id,
        blockId: block.id,
        runId: env.runId,
        attempt,
        runOutputs: env.runOutputs,
        readable: dataUpstreamOf(block, env.pipeline.blocks),
      }),
    publish: async (session, rows) => {
      const physical = session.outputTable;
      if (!physical) return;
      await env.workspace.publish({ pipelineId: env.pipeline.id, blockId: block.id, runId: env.runId, physical, rows });
      env.runOutputs.set(block.id, physical);
    },
    discard: async (session) => {
      const physical = session.outputTable;
      if (physical && env.runOutputs.get(block.id) !== physical) await env.workspace.discard(physical);
    },
  };
}

/** An attempt's temp folder under `.pipewright/tmp`, made when first asked for and removed after the attempt. */
function lazyTempDir(env: RunEnv, block: LoadedBlock): { path: () => string; remove: () => Promise<void> } {
  let dir: string | undefined;
  return {
    path: () => {
      if (dir === undefined) {
        const tmpRoot = path.join(env.project.stateDir, 'tmp');
        mkdirSync(tmpRoot, { recursive: true });
        dir = mkdtempSync(path.join(tmpRoot, `${block.id}-`));
      }
      return dir;
    },
    remove: async () => {
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Runs `work` with a context for `block` outside its attempts (conditions, reading a fan-out's items): a session that
 * reads `readable`, a temp dir and the run's signal. Everything is closed and removed before it settles.
 */
export async function withBlockContext<T>(
  env: RunEnv,
  block: LoadedBlock,
  readable: readonly string[],
  work: (ctx: BlockContext) => Promise<T>,
): Promise<T> {
  const tmpRoot = path.join(env.project.stateDir, 'tmp');
  await mkdir(tmpRoot, { recursive: true });
  const tempDir = await mkdtemp(path.join(tmpRoot, `${block.id}-`));
  let session: BlockSession | undefined;
  const onAbort = () => session?.interrupt();
  env.runSignal.addEventListener('abort', onAbort, { once: true });
  try {
    // Attempt 0 names a table no attempt writes: this session only reads.
    session = await env.workspace.openBlockSession({
      pipelineId: env.pipeline.id,
      blockId: block.id,
      runId: env.runId,
      attempt: 0,
      runOutputs: env.runOutputs,
      readable,
    });
    return await raceAbort(work(makeContext(env, block, 0, session, env.runSignal, tempDir)), env.runSignal);
  } finally {
    env.runSignal.removeEventListener('abort', onAbort);
    await session?.close().catch(() => undefined); // closing after an interrupt may report it again; the work's error is the one that counts
    await rm(tempDir, { recursive: true, force: true });
  }
}

/** Logs how many tests passed; throws naming the first that failed. */
function checkTests(ctx: BlockContext, tests: BlockTestResult[]): void {
  const failed = tests.filter((t) => !t.passed);
  if (tests.length > 0) ctx.log(failed.length ? 'error' : 'info', `${tests.length - failed.length}/${tests.length} tests passed`);
  const first = failed[0];
  if (first) throw new UserError(`test ${first.name} failed: ${first.message ?? 'no message'}`, { block: ctx.block.id });
}

function makeContext(
  env: RunEnv,
  block: LoadedBlock,
  attempt: number,
  data: BlockSession,
  signal: AbortSignal,
  tempDir: string,
): BlockContext {
  const throttle = createProgressThrottle();
  return {
    project: env.project,
    pipelineId: env.pipeline.id,
    runId: env.runId,
    originRunId: env.originRunId,
    block,
    inputs: dataUpstreamOf(block, env.pipeline.blocks),
    isReadOnceBySql: isReadOnceBySql(block, env.pipeline.blocks),
    // Attempt 0 is a context outside the block's attempts (a condition): it writes nothing.
    ...(attempt > 0 ? optional('fileSink', fileSinkFor(env, block)) : {}),
    ...optional('stagedFiles', stagedFilesFor(env, block)),
    upstreamBlocks: env.pipeline.blocks.filter((b) => block.upstream.includes(b.id)),
    downstreamBlocks: env.pipeline.blocks.filter((b) => b.upstream.includes(block.id) && (env.selectedBlocks?.has(b.id) ?? true)),
    attempt,
    data,
    variables: env.variables,
    signal,
    cacheDir: path.join(env.project.stateDir, 'cache'),
    tempDir,
    ...(env.settledRunIds ? { settledRunIds: env.settledRunIds } : {}),
    ...(env.runEndTasks ? { onRunEnd: (task: () => Promise<void>) => env.runEndTasks?.push(task) } : {}),
    connection: (name: string) =>
      env.connections(env.project, name, {
        ...(env.connectionOverrides ? { overrides: env.connectionOverrides } : {}),
        log: (message) => env.emit({ type: 'log.written', runId: env.runId, blockId: block.id, level: 'info', message, at: Date.now() }),
      }),
    log: (level: LogLevel, message: string) =>
      env.emit({ type: 'log.written', runId: env.runId, blockId: block.id, level, message, at: Date.now() }),
    progress: (update: ProgressUpdate) => {
      const rate = throttle(update);
      if (rate !== undefined) env.emit({ type: 'block.progressed', runId: env.runId, blockId: block.id, ...update, rate, at: Date.now() });
    },
  };
}

/** `{ [key]: value }`, or nothing when value is undefined (the context's optional fields stay absent). */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return value === undefined ? {} : ({ [key]: value } as { [P in K]?: V });
}

/** See BlockContext.isReadOnceBySql. */
export function isReadOnceBySql(block: LoadedBlock, blocks: readonly LoadedBlock[]): boolean {
  if (block.dynamic || block.tests.length > 0 || (block.checks?.length ?? 0) > 0 || block.drift) return false;
  if (blocks.some((b) => b.condition && 'over' in b.condition && b.condition.over === block.id)) return false;
  const readers = blocks.filter((b) => b.id !== block.id && dataUpstreamOf(b, blocks).includes(block.id));
  const [only] = readers;
  return (
    readers.length === 1 &&
    only !== undefined &&
    only.type === 'transform' &&
    only.kind === 'sql' &&
    (only.engine === undefined || only.engine === 'duckdb') &&
    !only.dynamic &&
    // A fanned-out reader runs once per item: each child would parse the files again.
    !only.upstream.some((up) => blocks.find((b) => b.id === up)?.dynamic === true)
  );
}

function logRowCounts(ctx: BlockContext, kind: BlockKind, outcome: BlockOutcome): void {
  const { rowsIn, rowsOut } = outcome;
  if (kind.type === 'transform' && rowsIn !== undefined && rowsOut !== undefined) {
    // No "N dropped": after an aggregate or a join the difference is not rows lost, and in/out already tell a filter's.
    ctx.log('info', `${rows(rowsIn)} in, ${rows(rowsOut)} out`);
  } else if (rowsOut !== undefined) {
    ctx.log('info', `${rows(rowsOut)} ${kind.type === 'export' ? 'written' : 'out'}`);
  }
}

const count = (n: number) => n.toLocaleString('en-US');

/** `1 row`, `1,369,765 rows`. */
export function rows(n: number): string {
  return `${count(n)} row${n === 1 ? '' : 's'}`;
}
