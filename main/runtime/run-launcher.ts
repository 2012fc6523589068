import { newRunId } from '../model/run-ids.ts';
import type { RunRequest, RunResult } from '../model/engine-types.ts';
import type { RunEvent } from '../model/run-events.ts';
import { CancelledError } from '../model/errors.ts';
import { RunSlots } from './run-limit.ts';

/** What a trigger asks for: a run request without the project (the launcher's owner adds it). */
export type LaunchRequest = Omit<RunRequest, 'project'>;

/** `runs.queue`: a run entered (`queued: true`) or left the wait for a free run slot (max_concurrent_runs). */
export interface RunQueueEvent {
  pipelineId: string;
  runId: string;
  queued: boolean;
}

/** A run handed to the launcher. */
export interface LaunchedRun {
  runId: string;
  /** It waits behind max_concurrent_runs (on_limit: queue): its events follow once a slot frees. */
  isQueued: boolean;
  /** Resolves once the run is recorded as started; rejects with what stopped it before that (a usage error, a cancel, the run limit). */
  started: Promise<void>;
  /** Resolves with the run's result once it finished. */
  finished: Promise<RunResult>;
}

/** Where a run the launcher knows stands: live, or cancelled before it ever started (so it has no record). */
export type LaunchState = { pipelineId: string; status: 'queued' | 'running' | 'cancelled' };

/** Runs the engine with the slot already held; the owner adds the project, stores and alerts. */
export type ExecuteRun = (
  request: LaunchRequest & { runId: string; signal: AbortSignal },
  onEvent: (event: RunEvent) => void,
) => Promise<RunResult>;

interface LiveRun {
  pipelineId: string;
  controller: AbortController;
  status: 'queued' | 'running';
  finished: Promise<unknown>;
}

/** Runs cancelled while queued are remembered this many at a time, so a caller polling one hears `cancelled`, not "no such run". */
const REMEMBERED_UNSTARTED = 200;

/**
 * The one way a run starts in a process that holds a project, whatever triggered it (the app, the CLI, an API
 * trigger, a schedule, a backfill). It gives every run an id and an AbortController before it waits for a slot, so
 * `cancel(runId)` stops any running or queued run from every surface, and it tells listeners about every run's events
 * and queue changes, so each shell sees runs it did not start itself.
 */
export class RunLauncher {
  private readonly slots = new RunSlots();
  private readonly live = new Map<string, LiveRun>();
  private readonly unstarted = new Map<string, string>();
  private readonly eventListeners = new Set<(event: RunEvent) => void>();
  private readonly queueListeners = new Set<(event: RunQueueEvent) => void>();
  private readonly execute: ExecuteRun;

  constructor(execute: ExecuteRun) {
    this.execute = execute;
  }

  /**
   * Starts a run, or queues it behind the pipeline's max_concurrent_runs. Returns at once; `started` and `finished`
   * tell how it goes. With on_limit: skip and a full pipeline, both reject with RunLimitReachedError.
   */
  launch(request: LaunchRequest, onEvent?: (event: RunEvent) => void): LaunchedRun {
    const runId = request.runId ?? newRunId();
    const pipelineId = request.pipeline.id;
    const controller = new AbortController();
    const signal = request.signal ? AbortSignal.any([request.signal, controller.signal]) : controller.signal;
    const isQueued = this.slots.wouldQueue(request.pipeline);
    let markStarted: () => void = () => undefined;
    const recorded = new Promise<void>((resolve) => (markStarted = resolve));
    const notify = (event: RunEvent) => {
      if (event.type === 'run.started' && event.runId === runId) markStarted();
      onEvent?.(event);
      for (const listener of this.eventListeners) listener(event);
    };
    const entry: LiveRun = { pipelineId, controller, status: isQueued ? 'queued' : 'running', finished: Promise.resolve() };
    if (isQueued) this.emitQueue({ pipelineId, runId, queued: true });
    const finished = this.slots.acquire(request.pipeline, signal).then(async (release) => {
      this.leaveQueue(runId, entry);
      try {
        return await this.execute({ ...request, runId, signal }, notify);
      } finally {
        release();
      }
    });
    entry.finished = finished
      .catch((error: unknown) => {
        if (entry.status === 'queued' && error instanceof CancelledError) this.rememberUnstarted(runId, pipelineId);
      })
      .finally(() => {
        this.leaveQueue(runId, entry);
        this.live.delete(runId);
      });
    this.live.set(runId, entry);
    const started = Promise.race([recorded, finished.then(() => undefined)]);
    started.catch(() => undefined); // the caller may only follow `finished`: its rejection is reported there
    return { runId, isQueued, started, finished };
  }

  /** Runs a pipeline and resolves with its result (launch() for callers that only wait for the end). */
  run(request: LaunchRequest, onEvent?: (event: RunEvent) => void): Promise<RunResult> {
    return this.launch(request, onEvent).finished;
  }

  /** Cancels a running or queued run; false when no such run is live in this process (finished, or never here). */
  cancel(runId: string): boolean {
    const entry = this.live.get(runId);
    entry?.controller.abort();
    return entry !== undefined;
  }

  /** A live run's state, or `cancelled` for a recent run cancelled while queued (it has no record in the history). */
  stateOf(runId: string): LaunchState | undefined {
    const entry = this.live.get(runId);
    if (entry) return { pipelineId: entry.pipelineId, status: entry.status };
    const pipelineId = this.unstarted.get(runId);
    return pipelineId === undefined ? undefined : { pipelineId, status: 'cancelled' };
  }

  /** Runs of the pipeline holding a slot or waiting for one. */
  activeRuns(pipelineId: string): number {
    return this.slots.running(pipelineId) + this.slots.queued(pipelineId);
  }

  /** Every event of every run this launcher starts; returns the function that stops listening. */
  onEvent(listener: (event: RunEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** Every run entering or leaving the queue; returns the function that stops listening. */
  onQueue(listener: (event: RunQueueEvent) => void): () => void {
    this.queueListeners.add(listener);
    return () => this.queueListeners.delete(listener);
  }

  /** Cancels every live run and resolves once all have ended (closing the project must not leave one writing). */
  async cancelAll(): Promise<void> {
    const entries = [...this.live.values()];
    for (const entry of entries) entry.controller.abort();
    await Promise.allSettled(entries.map((entry) => entry.finished));
  }

  private leaveQueue(runId: string, entry: LiveRun): void {
    if (entry.status !== 'queued') return;
    entry.status = 'running';
    this.emitQueue({ pipelineId: entry.pipelineId, runId, queued: false });
  }

  private rememberUnstarted(runId: string, pipelineId: string): void {
    this.unstarted.set(runId, pipelineId);
    const oldest = this.unstarted.keys().next().value;
    if (this.unstarted.size > REMEMBERED_UNSTARTED && oldest !== undefined) this.unstarted.delete(oldest);
  }

  private emitQueue(event: RunQueueEvent): void {
    for (const listener of this.queueListeners) listener(event);
  }
}
