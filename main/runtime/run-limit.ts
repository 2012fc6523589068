import { CancelledError, OperationalError } from '../model/errors.ts';
import type { Pipeline } from '../model/project.ts';

/** A run refused because its pipeline already runs `max_concurrent_runs` times and `on_limit` is `skip`. */
export class RunLimitReachedError extends OperationalError {
  constructor(pipelineId: string, limit: number) {
    super(
      `pipeline ${pipelineId} already has ${limit} run${limit === 1 ? '' : 's'} in progress (max_concurrent_runs: ${limit}, on_limit: skip): this run was not started`,
      { permanent: true },
    );
  }
}

interface Waiter {
  start: () => void;
}

/**
 * Run slots per pipeline, for `max_concurrent_runs` / `on_limit` in pipeline.yaml. Counts every run of the process
 * (app, API, schedules, backfills), so one limit holds for all of them. Waiting runs start in arrival order.
 */
export class RunSlots {
  private readonly active = new Map<string, number>();
  private readonly waiting = new Map<string, Waiter[]>();

  /**
   * Resolves with a release function once the pipeline has a free slot. With `on_limit: skip` a full pipeline
   * rejects at once with RunLimitReachedError; aborting `signal` while waiting rejects with CancelledError.
   */
  acquire(pipeline: Pipeline, signal?: AbortSignal): Promise<() => void> {
    const id = pipeline.id;
    if (this.hasFreeSlot(pipeline)) return Promise.resolve(this.take(id));
    if (pipeline.spec.on_limit === 'skip') return Promise.reject(new RunLimitReachedError(id, pipeline.spec.max_concurrent_runs ?? 0));
    if (signal?.aborted) return Promise.reject(new CancelledError('cancelled while waiting for a free run slot'));
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        this.removeWaiter(id, waiter);
        reject(new CancelledError('cancelled while waiting for a free run slot'));
      };
      const waiter: Waiter = {
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.take(id));
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.set(id, [...(this.waiting.get(id) ?? []), waiter]);
    });
  }

  /** Whether acquire() would wait now: the pipeline is full (or others wait) and on_limit is queue. */
  wouldQueue(pipeline: Pipeline): boolean {
    return !this.hasFreeSlot(pipeline) && pipeline.spec.on_limit !== 'skip';
  }

  /** Runs of the pipeline holding a slot now. */
  running(pipelineId: string): number {
    return this.active.get(pipelineId) ?? 0;
  }

  /** Runs of the pipeline waiting for a slot. */
  queued(pipelineId: string): number {
    return this.waiting.get(pipelineId)?.length ?? 0;
  }

  private hasFreeSlot(pipeline: Pipeline): boolean {
    const limit = pipeline.spec.max_concurrent_runs ?? Number.POSITIVE_INFINITY;
    return this.running(pipeline.id) < limit && this.queued(pipeline.id) === 0;
  }

  private take(pipelineId: string): () => void {
    this.active.set(pipelineId, this.running(pipelineId) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active.set(pipelineId, this.running(pipelineId) - 1);
      const next = this.waiting.get(pipelineId)?.[0];
      if (!next) return;
      this.removeWaiter(pipelineId, next);
      next.start();
    };
  }

  private removeWaiter(pipelineId: string, waiter: Waiter): void {
    const rest = (this.waiting.get(pipelineId) ?? []).filter((w) => w !== waiter);
    if (rest.length === 0) this.waiting.delete(pipelineId);
    else this.waiting.set(pipelineId, rest);
  }
}
