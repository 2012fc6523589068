import type { BlockSession, OutputInfo } from './workspace-types.ts';
import type { Pipeline, Project } from './project.ts';
import type { ErrorShape } from './errors.ts';
import type { BlockStatus, OutputStats, RunEvent, RunScope, RunTrigger } from './run-events.ts';
import type { BlockRegistry } from './registry.ts';
import type { RunInterval } from './templating.ts';
import type { ResolvedConnection } from './connection-profile.ts';
import type { Table } from 'apache-arrow';
import type { BlockContext } from './block-kind.ts';
import type { BlockTestResult } from './run-events.ts';

/** The part of the DuckDB workspace the engine drives (implemented by main/data/workspace.ts). */
export interface EngineWorkspace {
  beginRun(runId: string): void;
  openBlockSession(args: {
    pipelineId: string;
    blockId: string;
    runId: string;
    attempt: number;
    runOutputs: ReadonlyMap<string, string>;
    readable: readonly string[];
  }): Promise<BlockSession>;
  publish(args: { pipelineId: string; blockId: string; runId: string; physical: string; rows: number }): Promise<void>;
  discard(physical: string): Promise<void>;
  /**
   * Prepares the children of fan-out `blockId` (read `readable` like any attempt): their sessions share a few
   * connections, and their SELECTs write into one shared table. Close it once the children are done.
   */
  openFanOut(args: {
    pipelineId: string;
    blockId: string;
    runId: string;
    runOutputs: ReadonlyMap<string, string>;
    readable: readonly string[];
    /** Children's SELECTs write one shared table (small per-item outputs); false: a table each (a month per child). */
    sharesOutput?: boolean;
  }): Promise<FanOutWorkspace>;
  endRun(runId: string): Promise<void>;
  latestOutput(pipelineId: string, blockId: string): Promise<OutputInfo | undefined>;
}

/** Where one block's attempts get their session and put their output (the workspace's, or a fan-out child's). */
export interface AttemptOutputs {
  /** A session for one attempt. */
  open(attempt: number): Promise<BlockSession>;
  /** After the attempt and its tests and checks passed: its output becomes the block's latest. */
  publish(session: BlockSession, rows: number): Promise<void>;
  /** After the attempt failed: drops what it wrote (never an output already published). */
  discard(session: BlockSession): Promise<void>;
}

/** The children of one fan-out, as the workspace stores them (EngineWorkspace.openFanOut). */
export interface FanOutWorkspace {
  /** Sessions and publication of child `index` (`<block>[index]`). */
  child(index: number): AttemptOutputs;
  /**
   * Records the children's outputs still queued, and resolves to SQL relations that together hold every child's
   * output (the shared table, then the children's own tables in item order), for reduce. Throws if recording failed.
   */
  finish(): Promise<string[]>;
  /** Gives back its connections; call it last, whatever happened. */
  close(): Promise<void>;
}

/** Where run events go besides the caller's listener (implemented by main/history/run-store.ts). */
export interface RunRecorder {
  record(event: RunEvent): void;
  heartbeat(runId: string): void;
  /** The output stats of `blockId`'s latest successful run of `pipelineId` (the drift baseline), if any. */
  previousOutputStats?(pipelineId: string, blockId: string): { runId: string; stats: OutputStats } | undefined;
  /** Ids of the runs this history holds that are not in flight (any status but running), newest first. */
  settledRunIds?(): Iterable<string>;
}

export interface RunRequest {
  project: Project;
  pipeline: Pipeline;
  scope: RunScope;
  trigger: RunTrigger;
  /** Per-run overrides of the pipeline's variables. */
  variables?: Record<string, unknown>;
  /** Defaults to now. */
  executionDate?: Date;
  /** The data interval (backfills, schedules); defaults to the execution date's day. */
  interval?: RunInterval;
  /** Aborting it cancels the run. */
  signal?: AbortSignal;
  runId?: string;
  /** Per-run connection field overrides (`--conn NAME.FIELD=VALUE`): connection name → field → value. */
  connectionOverrides?: Record<string, Record<string, string>>;
}

/**
 * Resolves a named connection of the project for a block (implemented by main/connections/resolve-connection.ts):
 * handed to the engine so that it never reaches into connections.yaml, secrets or local servers itself.
 */
export type ConnectionResolver = (
  project: Project,
  name: string,
  opts: { overrides?: Record<string, Record<string, string>>; log?: (message: string) => void },
) => Promise<ResolvedConnection>;

/**
 * Runs the user's code the engine itself needs, conditions and tests (implemented by main/sandbox/): TypeScript in a
 * worker, compiled in memory; Python in the project's interpreter; nothing written into the project.
 */
export interface CodeSandbox {
  /** Whether the condition file's export, called with the block's context, returns true (anything but a boolean is a UserError). */
  typescriptConditionHolds(ctx: BlockContext, condition: { typescript: string; export?: string }): Promise<boolean>;
  /** Whether the file's @condition function (or `function`), given the `upstream` outputs as DataFrames, returns True; in the project's interpreter. */
  pythonConditionHolds(ctx: BlockContext, condition: { python: string; function?: string }, upstream: readonly string[]): Promise<boolean>;
  /** Runs one TypeScript test of the block's output: passed when its function returns, failed when it throws. */
  runTypeScriptTest(ctx: BlockContext, test: { name: string; file: string; export?: string }, output: Table): Promise<BlockTestResult>;
}

export interface EngineDeps {
  workspace: EngineWorkspace;
  kinds: BlockRegistry;
  connections: ConnectionResolver;
  sandbox: CodeSandbox;
  recorder?: RunRecorder;
  onEvent?: (event: RunEvent) => void;
  /** Injected for tests: randomness of retry jitter. */
  random?: () => number;
}

/** A block's final state in a run, as the CLI's --json prints it. */
export interface BlockResult {
  id: string;
  status: BlockStatus;
  rows: number | null;
  durationMs: number | null;
  attempts: number;
  error: ErrorShape | null;
}

export interface RunResult {
  runId: string;
  pipeline: string;
  status: 'succeeded' | 'failed' | 'cancelled';
  durationMs: number;
  blocks: BlockResult[];
}
