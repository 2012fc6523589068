import { z } from 'zod';
import { UserError } from '../model/errors.ts';
import type { BlockKind } from '../model/block-kind.ts';
import { parseTableName } from '../pushdown/table-names.ts';
import { openWarehouse } from '../pushdown/open-warehouse.ts';

const configSchema = z.strictObject({
  /** The existing table: `project.dataset.table` or `dataset.table` (BigQuery), `schema.table` (Postgres). */
  table: z.string().min(1),
});
type TableSourceConfig = z.infer<typeof configSchema>;

/**
 * An existing warehouse table that blocks on the same engine read by this block's name. Nothing is copied: the run
 * checks that the table exists and counts its rows.
 */
export const tableSource: BlockKind<TableSourceConfig> = {
  type: 'source',
  kind: 'table',
  title: 'Warehouse table (BigQuery or Postgres)',
  configSchema,
  code: 'none',
  async run(ctx, config) {
    const place = { block: ctx.block.id };
    const engine = ctx.block.engine;
    if (engine !== 'bigquery' && engine !== 'postgres') {
      throw new UserError('a table source names a warehouse table: set engine: bigquery or postgres on the block (or the pipeline)', {
        ...place,
        path: 'engine',
      });
    }
    const table = parseTableName(config.table, engine, place);
    const warehouse = await openWarehouse(ctx, engine, ctx.block.connection, place);
    try {
      const [row] = await warehouse.queryRows(`SELECT count(*) AS n FROM ${warehouse.sqlName(table)}`).catch((error: unknown) => {
        throw new UserError(
          `table ${config.table} cannot be read on ${engine}: ${error instanceof Error ? error.message : String(error)}`,
          { ...place, path: 'config.table' },
        );
      });
      return { rowsOut: Number(row?.n ?? 0), hasOutput: false };
    } finally {
      await warehouse.close();
    }
  },
};
