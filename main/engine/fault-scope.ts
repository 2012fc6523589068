import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Which block attempt an asynchronous fault belongs to. A block attempt's work runs inside its scope, and Node
 * carries the scope through every timer, socket and promise started from it, so a last-resort handler
 * (main/runtime/last-resort.ts) can fail that attempt instead of the whole process.
 */
export interface FaultScope {
  runId: string;
  blockId: string;
  /**
   * Ends the attempt with `error` (retried like any internal error, then recorded as the block's failure). False
   * when the attempt had already ended: the fault came from something it left behind, and no attempt owns it.
   */
  fail(error: Error): boolean;
}

const scopes = new AsyncLocalStorage<FaultScope>();

/** Runs `work` so that faults escaping it are reported to `scope`. */
export function runInFaultScope<T>(scope: FaultScope, work: () => T): T {
  return scopes.run(scope, work);
}

/** The attempt the current asynchronous context belongs to, if any. */
export function currentFaultScope(): FaultScope | undefined {
  return scopes.getStore();
}

/** An error that escaped a block's own promise chain (an uncaught exception or an unhandled rejection). */
export class EscapedFault extends Error {
  constructor(cause: unknown, origin: 'uncaughtException' | 'unhandledRejection') {
    const message = cause instanceof Error ? cause.message : String(cause);
    super(`${origin === 'uncaughtException' ? 'uncaught exception' : 'unhandled rejection'} in the block's work: ${message}`, { cause });
    this.name = 'EscapedFault';
    if (cause instanceof Error && cause.stack) this.stack = `${this.name}: ${this.message}\n${cause.stack}`;
  }
}
