import { z } from 'zod';
import { OperationalError, UserError } from '../../main/model/errors.ts';
import type { BlockKind } from '../../main/model/block-kind.ts';
import { createDefaultRegistry } from '../../main/blocks/index.ts';
import type { BlockRegistry } from '../../main/model/registry.ts';

/** A test source whose output is the result of `sql` (a DuckDB query), for tests that need a table of a given shape. */
export const querySource: BlockKind<{ sql: string }> = {
  type: 'source',
  kind: 'test_query',
  title: 'Test query',
  configSchema: z.strictObject({ sql: z.string() }),
  code: 'none',
  async run(ctx, config) {
    return { rowsOut: await ctx.data.writeOutputFromQuery(config.sql), hasOutput: true };
  },
};

/** Attempts seen per `runId/blockId`, so a block can fail its first N attempts. */
const attemptsSeen = new Map<string, number>();

const rowsConfig = z.strictObject({
  rows: z.number().int().min(0),
  /** Wait this long before writing, honouring cancellation. */
  delay_ms: z.number().int().min(0).default(0),
  /** Fail the first N attempts of each run with `error`. */
  fail_times: z.number().int().min(0).default(0),
  error: z.enum(['operational', 'user', 'hang']).default('operational'),
  /** Anything; lets tests check templated config values (written as a `label` column). */
  label: z.string().default(''),
});

/**
 * A test source that writes `rows` integers (column `i`) and a `label` column, and can be told to wait, fail
 * or hang, so the engine's scheduling, retries, timeouts and cancellation can be observed for real.
 */
export const rowsSource: BlockKind<z.infer<typeof rowsConfig>> = {
  type: 'source',
  kind: 'test_rows',
  title: 'Test rows',
  configSchema: rowsConfig,
  code: 'none',
  async run(ctx, config) {
    const key = `${ctx.runId}/${ctx.block.id}`;
    const seen = (attemptsSeen.get(key) ?? 0) + 1;
    attemptsSeen.set(key, seen);
    if (config.delay_ms > 0) await waitOrAbort(config.delay_ms, ctx.signal);
    if (seen <= config.fail_times) {
      if (config.error === 'hang') await new Promise(() => undefined);
      if (config.error === 'user') throw new UserError(`bad config on attempt ${seen}`);
      throw new OperationalError(`flaky network on attempt ${seen}`);
    }
    const label = config.label.replaceAll("'", "''");
    const rows = await ctx.data.writeOutputFromQuery(`select range as i, '${label}' as label from range(${config.rows})`);
    return { rowsOut: rows, hasOutput: true };
  },
};

function waitOrAbort(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      },
      { once: true },
    );
  });
}

/** The default registry plus the test kinds. */
export function createTestRegistry(): BlockRegistry {
  return createDefaultRegistry().register(rowsSource);
}
