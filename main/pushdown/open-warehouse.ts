import { UserError, type ErrorPlace } from '../model/errors.ts';
import type { BlockContext } from '../model/block-kind.ts';
import type { WarehouseEngine } from '../model/block-engine.ts';
import { mergeCloudConnection, requireFamily } from '../connections/block-connection.ts';
import type { Warehouse } from './warehouse.ts';
import { PostgresWarehouse } from './postgres-warehouse.ts';

/** The connection a pushed-down block names: its own (or its pipeline's, resolved at load), else default_connections. */
export function connectionNameOf(
  ctx: Pick<BlockContext, 'project'>,
  engine: WarehouseEngine,
  own: string | undefined,
  place: ErrorPlace,
): string {
  const name = own ?? ctx.project.settings.default_connections?.[engine];
  if (name) return name;
  throw new UserError(
    `no ${engine} connection: set connection: on the block or the pipeline, or default_connections.${engine} in pipewright.yaml`,
    { ...place, path: 'connection' },
  );
}

/** Opens the warehouse a pushed-down block runs on, through the project's connections. */
export async function openWarehouse(
  ctx: Pick<BlockContext, 'project' | 'connection'>,
  engine: WarehouseEngine,
  connection: string | undefined,
  place: ErrorPlace,
): Promise<Warehouse> {
  const name = connectionNameOf(ctx, engine, connection, place);
  if (engine === 'postgres') {
    if (!ctx.connection) throw new Error('this host runs blocks without connections');
    return PostgresWarehouse.open(requireFamily(await ctx.connection(name), 'postgres', place), place);
  }
  const settings = await mergeCloudConnection(ctx, 'bigquery', { connection: name }, place);
  const { BigQueryWarehouse } = await import('./bigquery-warehouse.ts');
  return BigQueryWarehouse.open(settings, ctx.project.dir, place);
}
