import type { BlockContext } from '../model/block-kind.ts';
import type { ErrorPlace } from '../model/errors.ts';
import type { WarehouseEngine } from '../model/block-engine.ts';
import { openWarehouse } from './open-warehouse.ts';
import { runCopyTable } from './table-names.ts';
import type { BuildOptions, TableRef, Warehouse } from './warehouse.ts';

/**
 * Whether this block keeps a copy of its output for the rest of its run: a block downstream of it runs in the same
 * warehouse, and the run can drop the copy when it ends. Without it, a downstream block would read the published
 * table, which another run of the pipeline may have replaced meanwhile.
 */
export function keepsRunCopy(ctx: BlockContext, engine: WarehouseEngine): boolean {
  return ctx.onRunEnd !== undefined && (ctx.downstreamBlocks ?? []).some((b) => b.type === 'transform' && b.engine === engine);
}

/** Copies the built table to the run's copy; its drop at the end of the run is registered before it exists. */
export async function keepRunCopy(
  ctx: BlockContext,
  warehouse: Warehouse,
  built: TableRef,
  published: TableRef,
  options: BuildOptions,
  place: ErrorPlace,
): Promise<void> {
  const copy = runCopyTable(published, ctx.runId);
  ctx.onRunEnd?.(async () => {
    const later = await openWarehouse(ctx, warehouse.engine, ctx.block.connection, place);
    try {
      await later.drop(copy);
    } finally {
      await later.close();
    }
  });
  await warehouse.copy(built, copy, options);
  ctx.log('debug', `kept ${copy.namespace}.${copy.table} for this run's downstream blocks`);
}

/**
 * The upstream tables this block reads: an upstream warehouse block's copy of this run where it kept one (it ran in
 * this run), else its published table (its latest output, as a single-block run reads it).
 */
export async function thisRunsTables(
  ctx: BlockContext,
  warehouse: Warehouse,
  upstream: Map<string, TableRef>,
): Promise<Map<string, TableRef>> {
  const tables = new Map(upstream);
  for (const up of ctx.upstreamBlocks ?? []) {
    const published = upstream.get(up.id);
    if (!published || up.type !== 'transform' || up.engine !== warehouse.engine) continue;
    const copy = runCopyTable(published, ctx.runId);
    if (!(await warehouse.exists(copy))) continue;
    tables.set(up.id, copy);
    ctx.log('debug', `reads ${up.id} as this run built it: ${copy.namespace}.${copy.table}`);
  }
  return tables;
}
