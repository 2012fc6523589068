import type { ErrorShape } from '../model/errors.ts';
import type { BlockFinal, RunEnv } from './block-runner.ts';

/** Records a block as skipped (condition false, no items) or upstream_failed, with the reason; returns its final. */
export function skipBlock(
  env: RunEnv,
  blockId: string,
  status: 'skipped' | 'upstream_failed',
  reason: string,
  started: number,
): BlockFinal {
  env.emit({ type: 'block.skipped', runId: env.runId, blockId, status, reason, at: Date.now() });
  return { status, reason, attempts: 0, durationMs: Date.now() - started };
}

/** Records a block as cancelled before it could start an attempt; returns its final. */
export function cancelBlock(env: RunEnv, blockId: string, started: number): BlockFinal {
  env.emit({ type: 'block.cancelled', runId: env.runId, blockId, at: Date.now() });
  return { status: 'cancelled', attempts: 0, durationMs: Date.now() - started };
}

/** A failure before any attempt (evaluating a condition, reading items) is recorded as a failed first attempt. */
export function failBeforeStart(env: RunEnv, blockId: string, error: ErrorShape, started: number): BlockFinal {
  const at = Date.now();
  env.emit({ type: 'block.started', runId: env.runId, blockId, attempt: 1, at: started });
  env.emit({ type: 'block.failed', runId: env.runId, blockId, attempt: 1, durationMs: at - started, error, at });
  return { status: 'failed', attempts: 1, error, durationMs: at - started };
}
