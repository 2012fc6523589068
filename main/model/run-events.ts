import type { ErrorShape } from './errors.ts';

/** Final and intermediate states of a block inside one run. */
export type BlockStatus = 'pending' | 'queued' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled' | 'upstream_failed';

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** What a block's progress counts: bytes moved, rows processed, items done, or a sensor's checks so far. */
export type ProgressUnit = 'bytes' | 'rows' | 'items' | 'checks';

/** Who or what started a run (audit). */
export interface RunTrigger {
  kind: 'cli' | 'app' | 'api' | 'schedule' | 'backfill' | 'test';
  /** A user name, trigger name or backfill id, when known. */
  by?: string;
}

/** How much of the pipeline a run covers. */
export type RunScope =
  /** `origin`: set when a backfill retries a failed interval, the interval's first run (see the `blocks` kind). */
  | { kind: 'pipeline'; origin?: string }
  | { kind: 'block'; block: string }
  | { kind: 'with-upstream'; block: string }
  | { kind: 'downstream'; block: string }
  /**
   * Exactly these blocks (a resume or a retry of failed blocks); the others' stored outputs are read. `origin` is the
   * run whose unfinished blocks they are, followed back through resumes of resumes to the first: exports key their
   * idempotency by it, so a resume never loads what the run it finishes already loaded.
   */
  | { kind: 'blocks'; blocks: string[]; origin?: string };

/** A test, a declarative check or a drift comparison of a block's output, as stored in the history. */
export interface BlockTestResult {
  name: string;
  passed: boolean;
  message?: string;
  /** What produced it; absent for tests (the `tests:` list). */
  source?: 'check' | 'drift';
  /** A result that did not pass with severity `warn` only warns: the block still succeeds. */
  severity?: 'warn' | 'fail';
  /** Rows (or keys, for unique) that violate a check. */
  failing?: number;
  /** Up to 5 of the violating rows. */
  sample?: Record<string, unknown>[];
}

/** What the history keeps of a block's output so the next run can compare (drift). */
export interface OutputStats {
  rows: number;
  columns: { name: string; type: string }[];
  /** Share of nulls per column (0..1); measured only for blocks with `drift:`. */
  nullRates?: Record<string, number>;
}

interface EventBase {
  runId: string;
  /** Milliseconds since the epoch. */
  at: number;
}

/**
 * A run is a stream of these events. The same stream is written to the run store and pushed to the UI;
 * the history is a fold over it.
 */
export type RunEvent =
  | (EventBase & {
      type: 'run.started';
      pipelineId: string;
      scope: RunScope;
      blocks: string[];
      trigger: RunTrigger;
      variables: Record<string, unknown>;
      pipelineHash: string;
      codeHash: string;
    })
  | (EventBase & { type: 'block.queued'; blockId: string })
  /** A dynamic child joined the run (`<block>[<n>]`, one per item); its events follow like any block's. */
  | (EventBase & { type: 'block.added'; blockId: string; parentId: string; index: number })
  | (EventBase & { type: 'block.started'; blockId: string; attempt: number })
  | (EventBase & {
      type: 'block.progressed';
      blockId: string;
      phase: string;
      done: number;
      total?: number;
      unit: ProgressUnit;
      /** Units per second over the recent past. */
      rate?: number;
    })
  | (EventBase & { type: 'log.written'; blockId: string | null; level: LogLevel; message: string })
  | (EventBase & { type: 'block.retrying'; blockId: string; attempt: number; delayMs: number; error: ErrorShape })
  | (EventBase & {
      type: 'block.succeeded';
      blockId: string;
      attempt: number;
      durationMs: number;
      rowsIn?: number;
      rowsOut?: number;
      bytes?: number;
      tests?: BlockTestResult[];
      /** The output's row count, schema and null rates, the baseline of the next run's drift comparison. */
      stats?: OutputStats;
    })
  | (EventBase & {
      type: 'block.failed';
      blockId: string;
      attempt: number;
      durationMs: number;
      error: ErrorShape;
      tests?: BlockTestResult[];
    })
  | (EventBase & { type: 'block.skipped'; blockId: string; reason: string; status: 'skipped' | 'upstream_failed' })
  | (EventBase & { type: 'block.cancelled'; blockId: string })
  | (EventBase & { type: 'run.finished'; status: Exclude<RunStatus, 'running' | 'interrupted'>; durationMs: number; error?: ErrorShape });

export type RunEventType = RunEvent['type'];
