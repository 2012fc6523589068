import { quoteIdent } from '../data/sql-names.ts';
import type { BlockSession } from '../data/workspace-types.ts';
import type { BlockContext } from '../engine/block-kind.ts';
import { UserError } from '../errors.ts';
import { checkWireSchema, wireFileSelect } from '../python/exchange-sql.ts';
import type { MageHandoff } from '../python/harness-run.ts';
import { postgresExport } from './postgres-export.ts';

/**
 * Loads what a Mage block handed over with `Postgres.export(df, schema, table, if_exists=…)`: each DataFrame, written as
 * an exchange file, becomes a DuckDB view that Pipewright's own Postgres exporter streams (COPY, staging table, ledger)
 * with the connection imported from the io_config profile. Runs after the Python function returned, in call order.
 */
export async function loadMageHandoffs(ctx: BlockContext, handoffs: MageHandoff[], file: string): Promise<void> {
  for (const [i, handoff] of handoffs.entries()) {
    const view = `pw_mage_export_${i}`;
    const columns = checkWireSchema(handoff.columns);
    await ctx.data.run(`CREATE OR REPLACE TEMP VIEW ${quoteIdent(view)} AS ${wireFileSelect(handoff.path, handoff.format, columns)}`);
    const place = { block: ctx.block.id, file };
    const config = postgresExport.configSchema.safeParse({ connection: handoff.connection, table: handoff.table, mode: handoff.mode, ...(handoff.schema ? { schema: handoff.schema } : {}) });
    if (!config.success) throw new UserError(`Postgres.export(${handoff.schema ?? ''}, ${handoff.table}) cannot be loaded: ${config.error.issues[0]?.message ?? 'bad arguments'}`, place);
    ctx.log('info', `Postgres.export: loading ${handoff.rows.toLocaleString('en-US')} rows into ${[handoff.schema, handoff.table].filter(Boolean).join('.')} (connection ${handoff.connection})`);
    const identity = `${ctx.runId}:${ctx.block.id}:mage_export_${i}`;
    await postgresExport.run({ ...ctx, block: { ...ctx.block, upstream: [view] }, data: withView(ctx.data, view, identity) }, config.data);
  }
}

/** The block's session, with `view` readable like an upstream block's output. */
function withView(data: BlockSession, view: string, identity: string): BlockSession {
  const relation = quoteIdent(view);
  // Every method delegates to the real session (bound, so its own state stays its own); three of them know the view.
  return {
    run: (sql) => data.run(sql),
    queryRows: (sql) => data.queryRows(sql),
    writeOutputFromQuery: (sql) => data.writeOutputFromQuery(sql),
    writeOutputFromArrow: (table) => data.writeOutputFromArrow(table),
    writeOutputFromRows: (rows) => data.writeOutputFromRows(rows),
    readArrow: (id) => data.readArrow(id),
    streamChunks: (sql, consume) => data.streamChunks(sql, consume),
    get outputTable() {
      return data.outputTable;
    },
    interrupt: () => data.interrupt(),
    close: () => data.close(),
    relation: (id) => (id === view ? relation : data.relation(id)),
    outputIdentity: (id) => (id === view ? identity : data.outputIdentity(id)),
    describe: async (id) => {
      if (id !== view) return data.describe(id);
      const described = await data.queryRows(`DESCRIBE SELECT * FROM ${relation}`);
      const [count] = await data.queryRows(`SELECT count(*) AS n FROM ${relation}`);
      return { columns: described.map((r) => ({ name: String(r.column_name), type: String(r.column_type) })), rows: Number(count?.n ?? 0) };
    },
  };
}
