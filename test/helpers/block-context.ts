import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CancelledError } from '../../main/model/errors.ts';
import { Workspace } from '../../main/data/workspace.ts';
import { runAttempt, type RunEnv } from '../../main/engine/block-runner.ts';
import type { BlockKind, BlockOutcome, ProgressUpdate } from '../../main/model/block-kind.ts';
import type { LogLevel, RunEvent } from '../../main/model/run-events.ts';
import type { LoadedBlock, Pipeline, Project } from '../../main/model/project.ts';
import { resolveConnection } from '../../main/connections/resolve-connection.ts';
import { typescriptSandbox } from '../../main/sandbox/code-sandbox.ts';

/** One attempt of a block, with what it logged and reported. */
export interface BlockRun {
  outcome?: BlockOutcome;
  error?: unknown;
  logs: { level: LogLevel; message: string }[];
  progress: ProgressUpdate[];
}

export interface BlockSpecForTest {
  id: string;
  upstream?: string[];
  config: unknown;
}

export interface AttemptOptions {
  /** Cancels the attempt, as cancelling its run would. */
  signal?: AbortSignal;
  /** Sees each event of the attempt as it happens (to act at a given point, e.g. cancel once bytes arrived). */
  onEvent?: (event: RunEvent) => void;
}

/** A temp project with a real DuckDB workspace, in which block kinds run through the engine's own attempt runner. */
export interface BlockHarness {
  /** The project folder (relative block paths resolve here). */
  dir: string;
  project: Project;
  workspace: Workspace;
  runId: string;
  /** Runs one attempt as the engine does (config parsed, timeout, tests, publish). Never throws: see `error`. */
  attempt<C>(kind: BlockKind<C>, spec: BlockSpecForTest, opts?: AttemptOptions): Promise<BlockRun>;
  /** Like `attempt`, but rejects with the block's error. */
  run<C>(kind: BlockKind<C>, spec: BlockSpecForTest, opts?: AttemptOptions): Promise<BlockRun>;
  /** Runs a query in a session that can read the given blocks' outputs by id. */
  query(sql: string, readable: string[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

let sessions = 0;

/**
 * Creates a temp project with an open workspace. Every block run here belongs to one run of one pipeline, which grows
 * with each block attempted (so a block reads the outputs of those attempted before it, as upstream).
 */
export async function createBlockHarness(): Promise<BlockHarness> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-blocks-'));
  const stateDir = path.join(dir, '.pipewright');
  mkdirSync(path.join(stateDir, 'tmp'), { recursive: true });
  const project: Project = { dir, stateDir, settings: { name: 't', engine: { concurrency: 2 } }, connections: {}, pipelineIds: [] };
  // File access limited to the project, as openProject does.
  const workspace = await Workspace.open({ path: path.join(stateDir, 'workspace.duckdb'), threads: 2, allowedDirectories: [dir] });
  const runId = `run-${Date.now()}`;
  const pipeline: Pipeline = {
    id: 'p',
    file: path.join(dir, 'pipelines', 'p', 'pipeline.yaml'),
    spec: { variables: {}, blocks: [] },
    blocks: [],
    layout: { nodes: {} },
    pipelineHash: '',
    codeHash: '',
  };
  workspace.beginRun(runId);
  const runOutputs = new Map<string, string>();

  const attempt = async <C>(kind: BlockKind<C>, spec: BlockSpecForTest, opts: AttemptOptions = {}): Promise<BlockRun> => {
    const block: LoadedBlock = {
      id: spec.id,
      type: kind.type,
      kind: kind.kind,
      upstream: spec.upstream ?? [],
      config: spec.config as LoadedBlock['config'],
      tests: [],
      testCode: {},
    };
    pipeline.blocks = [...pipeline.blocks.filter((b) => b.id !== block.id), block];
    const result: BlockRun = { logs: [], progress: [] };
    // The engine cancels a run with a CancelledError; a bare abort() here stands for the same.
    const run = new AbortController();
    const cancel = () =>
      run.abort(opts.signal?.reason instanceof CancelledError ? opts.signal.reason : new CancelledError('run cancelled'));
    if (opts.signal?.aborted) cancel();
    opts.signal?.addEventListener('abort', cancel, { once: true });
    const env: RunEnv = {
      project,
      pipeline,
      runId,
      originRunId: runId,
      variables: {},
      workspace,
      runOutputs,
      runSignal: run.signal,
      random: Math.random,
      // The same connection resolver and sandbox as openProject hands the engine.
      connections: resolveConnection,
      sandbox: typescriptSandbox,
      kindOf: () => kind as BlockKind,
      emit: (event) => {
        collect(result, event);
        opts.onEvent?.(event);
      },
    };
    try {
      const attempted = await runAttempt(env, block, 1);
      if (attempted.ok) result.outcome = attempted.outcome;
      else result.error = attempted.error;
    } finally {
      opts.signal?.removeEventListener('abort', cancel);
    }
    return result;
  };

  return {
    dir,
    project,
    workspace,
    runId,
    attempt,
    run: async (kind, spec, opts) => {
      const result = await attempt(kind, spec, opts);
      if (result.error !== undefined) throw result.error;
      return result;
    },
    query: async (sql, readable) => {
      const session = await workspace.openBlockSession({
        pipelineId: pipeline.id,
        blockId: `q${++sessions}`,
        runId,
        attempt: 1,
        runOutputs,
        readable,
      });
      try {
        return await session.queryRows(sql);
      } finally {
        await session.close();
      }
    },
    close: async () => {
      await workspace.endRun(runId);
      await workspace.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Keeps the attempt's log lines and progress updates (as the kind reported them, without the engine's rate). */
function collect(result: BlockRun, event: RunEvent): void {
  if (event.type === 'log.written') result.logs.push({ level: event.level, message: event.message });
  if (event.type === 'block.progressed') {
    const { type: _type, runId: _runId, blockId: _blockId, rate: _rate, at: _at, ...update } = event;
    result.progress.push(update);
  }
}
