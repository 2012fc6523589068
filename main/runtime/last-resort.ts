import { currentFaultScope, EscapedFault } from '../engine/fault-scope.ts';

/**
 * The last-resort policy of a long-lived process (serve, schedule, the desktop app's main process): an uncaught
 * exception or unhandled rejection fails the block attempt it came from (the run records it, and retries as
 * usual) or, when no block owns it, is logged with its stack. The process keeps serving. A burst of faults no
 * block owns means the process itself is broken: it stops, saying why, rather than carry on in a corrupt state.
 */
export interface LastResortOptions {
  /** Where each fault is reported (a line with its stack); default stderr. */
  report?: (message: string) => void;
  /** Told of every fault after it is handled (the desktop app tells its window). */
  onFault?: (fault: HandledFault) => void;
  /** Unowned faults within `stormWindowMs` that mean the process is broken (default 10 in 60 s). */
  stormLimit?: number;
  stormWindowMs?: number;
  /** How the process stops after a storm (default process.exit). */
  exit?: (code: number) => void;
  /** The emitter to listen on (tests pass their own; default process). */
  target?: NodeJS.EventEmitter;
}

export interface HandledFault {
  origin: 'uncaughtException' | 'unhandledRejection';
  error: unknown;
  /** The block attempt that was failed with it, when one owned it. */
  owner?: { runId: string; blockId: string };
}

/** Exit code after a storm of faults: EX_SOFTWARE, an internal error. */
export const FAULT_STORM_EXIT_CODE = 70;

/** Installs the handlers; returns a function that removes them. */
export function installLastResort(opts: LastResortOptions = {}): () => void {
  const target = opts.target ?? process;
  const report = opts.report ?? ((message: string) => process.stderr.write(`${message}\n`));
  const limit = opts.stormLimit ?? 10;
  const windowMs = opts.stormWindowMs ?? 60_000;
  const recent: number[] = [];
  const handle = (origin: HandledFault['origin'], error: unknown) => {
    const scope = currentFaultScope();
    if (scope?.fail(new EscapedFault(error, origin))) {
      report(`pipewright: ${origin} in run ${scope.runId}, block ${scope.blockId}: failed that attempt, carrying on\n${describe(error)}`);
      opts.onFault?.({ origin, error, owner: { runId: scope.runId, blockId: scope.blockId } });
      return;
    }
    report(`pipewright: internal error (${origin}), kept running:\n${describe(error)}`);
    opts.onFault?.({ origin, error });
    const now = Date.now();
    recent.push(now);
    while (recent.length > 0 && (recent[0] ?? now) <= now - windowMs) recent.shift();
    if (recent.length >= limit) {
      report(`pipewright: ${recent.length} internal errors within ${windowMs / 1000} s; stopping rather than running in a broken state`);
      (opts.exit ?? ((code: number) => process.exit(code)))(FAULT_STORM_EXIT_CODE);
    }
  };
  const onException = (error: unknown) => handle('uncaughtException', error);
  const onRejection = (reason: unknown) => handle('unhandledRejection', reason);
  target.on('uncaughtException', onException);
  target.on('unhandledRejection', onRejection);
  return () => {
    target.off('uncaughtException', onException);
    target.off('unhandledRejection', onRejection);
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
}
