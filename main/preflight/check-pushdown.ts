import type { LoadedBlock } from '../model/project.ts';
import { isPushedDown } from '../model/block-engine.ts';
import { estimatePushedDown } from '../pushdown/pushdown-block.ts';
import { formatBytes } from '../pushdown/build-options.ts';
import { UserError } from '../model/errors.ts';
import { fail, ok, skip, type CheckEnv, type CheckItem } from './check-types.ts';

const MISSING_TABLE = /Not found: Table|relation .* does not exist/;

/** Whether preflight checks this block as SQL that runs in a warehouse. */
export function isCheckedPushdown(block: LoadedBlock): boolean {
  return block.type === 'transform' && block.kind === 'sql' && isPushedDown(block);
}

/**
 * A pushed-down block as its run would start it: connection, compiled SQL, and the warehouse's own estimate (BigQuery
 * dry run bytes against maximum_bytes_billed, Postgres EXPLAIN cost). Nothing runs.
 */
export async function checkPushdown(env: CheckEnv, config: Record<string, unknown>, blocks: readonly LoadedBlock[]): Promise<CheckItem[]> {
  const upstreamBlocks = blocks.filter((b) => env.block.upstream.includes(b.id));
  let estimated: Awaited<ReturnType<typeof estimatePushedDown>>;
  try {
    estimated = await estimatePushedDown({ ...env, upstreamBlocks }, config);
  } catch (error) {
    // Upstream blocks create their tables during the run: before the first one there is nothing to estimate against.
    if (error instanceof UserError && upstreamBlocks.length > 0 && MISSING_TABLE.test(error.message))
      return [skip('estimate', 'an upstream table does not exist yet: estimated when the block runs')];
    throw error;
  }
  const { estimate, limit } = estimated;
  if (env.block.engine === 'postgres') {
    return [ok('explain', `cost ${(estimate.cost ?? 0).toFixed(2)}, about ${(estimate.rows ?? 0).toLocaleString('en-US')} rows`)];
  }
  const bytes = estimate.bytes ?? 0;
  if (limit !== undefined && bytes > limit)
    return [fail('dry run', `${formatBytes(bytes)} to process, over maximum_bytes_billed ${formatBytes(limit)}`)];
  return [ok('dry run', `${formatBytes(bytes)} to process${limit !== undefined ? ` (limit ${formatBytes(limit)})` : ''}`)];
}
