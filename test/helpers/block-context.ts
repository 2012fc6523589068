import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../../main/model/errors.ts';
import { Workspace } from '../../main/data/workspace.ts';
import type { BlockContext, BlockKind, BlockOutcome, ProgressUpdate } from '../../main/model/block-kind.ts';
import type { LogLevel } from '../../main/model/run-events.ts';
import type { LoadedBlock, Project } from '../../main/model/project.ts';

/** A block run through a real BlockContext, with what it logged and reported. */
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

/** A temp project with a real DuckDB workspace, in which block kinds run as the engine would run them. */
export interface BlockHarness {
  /** The project folder (relative block paths resolve here). */
  dir: string;
  project: Project;
  workspace: Workspace;
  runId: string;
  /** Runs one attempt; publishes the output when the block reports one. Never throws: see `error`. */
  attempt<C>(kind: BlockKind<C>, spec: BlockSpecForTest, opts?: { signal?: AbortSignal }): Promise<BlockRun>;
  /** Like `attempt`, but rejects with the block's error. */
  run<C>(kind: BlockKind<C>, spec: BlockSpecForTest, opts?: { signal?: AbortSignal }): Promise<BlockRun>;
  /** Runs a query in a session that can read the given blocks' outputs by id. */
  query(sql: string, readable: string[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

let sessions = 0;

/** Creates a temp project (`{dir, stateDir, settings, connections, pipelineIds}`) with an open workspace. */
export async function createBlockHarness(): Promise<BlockHarness> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-blocks-'));
  const stateDir = path.join(dir, '.pipewright');
  mkdirSync(path.join(stateDir, 'tmp'), { recursive: true });
  const project: Project = { dir, stateDir, settings: { name: 't', engine: { concurrency: 2 } }, connections: {}, pipelineIds: [] };
  // File access limited to the project, as openProject does.
  const workspace = await Workspace.open({ path: path.join(stateDir, 'workspace.duckdb'), threads: 2, allowedDirectories: [dir] });
  const runId = `run-${Date.now()}`;
  const pipelineId = 'p';
  workspace.beginRun(runId);
  const runOutputs = new Map<string, string>();

  const attempt = async <C>(kind: BlockKind<C>, spec: BlockSpecForTest, opts: { signal?: AbortSignal } = {}): Promise<BlockRun> => {
    const block: LoadedBlock = { id: spec.id, type: kind.type, kind: kind.kind, upstream: spec.upstream ?? [], config: {}, tests: [], testCode: {} };
    const result: BlockRun = { logs: [], progress: [] };
    const session = await workspace.openBlockSession({ pipelineId, blockId: spec.id, runId, attempt: 1, runOutputs, readable: block.upstream });
    const tempDir = mkdtempSync(path.join(stateDir, 'tmp', `${spec.id}-`));
    const signal = opts.signal ?? new AbortController().signal;
    const onAbort = () => session.interrupt();
    signal.addEventListener('abort', onAbort, { once: true });
    const ctx: BlockContext = {
      project, pipelineId, runId, originRunId: runId, block, attempt: 1, data: session, variables: {}, signal,
      cacheDir: path.join(stateDir, 'cache'), tempDir,
      log: (level, message) => result.logs.push({ level, message }),
      progress: (update) => result.progress.push(update),
    };
    try {
      const outcome = await kind.run(ctx, parseConfig(kind, spec));
      const physical = session.outputTable;
      if (outcome.hasOutput && physical) {
        await workspace.publish({ pipelineId, blockId: spec.id, runId, physical, rows: outcome.rowsOut ?? 0 });
        runOutputs.set(spec.id, physical);
      }
      result.outcome = outcome;
    } catch (error) {
      result.error = error;
      const physical = session.outputTable;
      if (physical && runOutputs.get(spec.id) !== physical) await workspace.discard(physical);
    } finally {
      signal.removeEventListener('abort', onAbort);
      await session.close();
      rmSync(tempDir, { recursive: true, force: true });
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
      const session = await workspace.openBlockSession({ pipelineId, blockId: `q${++sessions}`, runId, attempt: 1, runOutputs, readable });
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

/** Validates config with the kind's schema, failing as the engine does (a UserError naming the field). */
function parseConfig<C>(kind: BlockKind<C>, spec: BlockSpecForTest): C {
  const parsed = kind.configSchema.safeParse(spec.config);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = ['config', ...(issue?.path ?? [])].join('.');
  throw new UserError(`${where}: ${issue?.message ?? 'invalid'}`, { block: spec.id, path: where });
}
