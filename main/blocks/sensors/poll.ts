import { z } from 'zod';
import { TimeoutError } from '../../model/errors.ts';
import type { BlockContext, BlockOutcome } from '../../model/block-kind.ts';
import { abortReason, sleep } from '../../model/abort.ts';

/** Config every sensor shares: how often to look and how long to wait at most. */
export const pollFields = {
  /** Seconds between two checks. */
  interval_seconds: z.number().positive().max(86_400).default(30),
  /** Seconds to wait in all before failing with a TimeoutError. */
  timeout_seconds: z
    .number()
    .positive()
    .max(7 * 86_400)
    .default(3600),
};

export interface PollConfig {
  interval_seconds: number;
  timeout_seconds: number;
}

/** One check: what was found (a short description), or undefined when it is not there yet. */
export type Check = (signal: AbortSignal) => Promise<string | undefined>;

/**
 * Checks every `interval_seconds` until `check` finds something, then writes a one-row output (waited_for, found,
 * found_at, checks, waited_seconds). Fails with a TimeoutError naming `waitingFor` once `timeout_seconds` have passed;
 * stops at once, mid-wait or mid-check, when the block is cancelled.
 */
export async function pollUntilFound(ctx: BlockContext, config: PollConfig, waitingFor: string, check: Check): Promise<BlockOutcome> {
  const started = Date.now();
  const deadline = started + config.timeout_seconds * 1000;
  ctx.log('info', `waiting for ${waitingFor} (every ${config.interval_seconds} s, at most ${config.timeout_seconds} s)`);
  for (let checks = 1; ; checks++) {
    if (ctx.signal.aborted) throw abortReason(ctx.signal);
    const found = await check(ctx.signal);
    if (found !== undefined) {
      const waitedSeconds = (Date.now() - started) / 1000;
      ctx.log('info', `found ${found} after ${checks} check${checks === 1 ? '' : 's'} (${waitedSeconds.toFixed(1)} s)`);
      const rowsOut = await ctx.data.writeOutputFromRows([
        { waited_for: waitingFor, found, found_at: new Date(), checks, waited_seconds: waitedSeconds },
      ]);
      return { rowsOut, hasOutput: true };
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new TimeoutError(
        `timed out after ${config.timeout_seconds} s waiting for ${waitingFor} (${checks} check${checks === 1 ? '' : 's'})`,
        { block: ctx.block.id },
      );
    }
    ctx.progress({ phase: `waiting for ${waitingFor}`, done: checks, unit: 'checks' });
    await sleep(Math.min(config.interval_seconds * 1000, left), ctx.signal);
  }
}
