import { quoteIdent } from '../data/sql-names.ts';
import type { BlockSession } from '../model/workspace-types.ts';
import type { BlockContext } from '../model/block-kind.ts';
import { UserError } from '../model/errors.ts';
import { checkWireSchema, wireFileSelect } from '../python/exchange-sql.ts';
import type { MageHandoff } from '../python/harness-run.ts';
import type { BlockKind } from '../model/block-kind.ts';
import { bigqueryExport } from './bigquery-export.ts';
import { gcsExport } from './gcs-export.ts';
import { postgresExport } from './postgres-export.ts';

const EXPORTERS: Record<string, { kind: BlockKind<unknown>; call: string }> = {
  postgres: { kind: postgresExport, call: 'Postgres.export' },
  gcs: { kind: gcsExport, call: 'GoogleCloudStorage.export' },
  bigquery: { kind: bigqueryExport, call: 'BigQuery.export' },
};

/**
 * Loads what a Mage block handed over with `Postgres`/`GoogleCloudStorage`/`BigQuery` `.export(df, …)`: each DataFrame,
 * written as an exchange file, becomes a DuckDB view that Pipewright's own exporter of that kind streams (COPY, upload,
 * load job) with the connection imported from the io_config profile. Runs after the Python function returned, in call order.
 */
export async function loadMageHandoffs(ctx: BlockContext, handoffs: MageHandoff[], file: string): Promise<void> {
  for (const [i, handoff] of handoffs.entries()) {
    const exporter = EXPORTERS[handoff.kind];
    if (!exporter) throw new Error(`the Python harness handed over an unknown export kind: ${handoff.kind}`);
    const place = { block: ctx.block.id, file };
    const config = exporter.kind.configSchema.safeParse(handoff.config);
    if (!config.success) {
      const issue = config.error.issues[0];
      throw new UserError(`${exporter.call}: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'bad arguments'}`, place);
    }
    const view = `pw_mage_export_${i}`;
    await ctx.data.run(
      `CREATE OR REPLACE TEMP VIEW ${quoteIdent(view)} AS ${wireFileSelect(handoff.path, handoff.format, checkWireSchema(handoff.columns))}`,
    );
    const target = Object.entries(handoff.config)
      .filter(([k]) => k !== 'connection')
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(', ');
    ctx.log(
      'info',
      `${exporter.call}: loading ${handoff.rows.toLocaleString('en-US')} rows (${target}, connection ${String(handoff.config.connection)})`,
    );
    const identity = `${ctx.runId}:${ctx.block.id}:mage_export_${i}`;
    await exporter.kind.run({ ...ctx, block: { ...ctx.block, upstream: [view] }, data: withView(ctx.data, view, identity) }, config.data);
  }
}

/** The block's session, with `view` readable like an upstream block's output. */
function withView(data: BlockSession, view: string, identity: string): BlockSession {
  const relation = quoteIdent(view);
  // Every method delegates to the real session (bound, so its own state stays its own); three of them know the view.
  return {
    run: (sql) => data.run(sql),
    queryRows: (sql) => data.queryRows(sql),
    countRows: async (ids) => {
      if (!ids.includes(view)) return data.countRows(ids);
      const [count] = await data.queryRows(`SELECT count(*) AS n FROM ${relation}`);
      return Number(count?.n ?? 0) + (await data.countRows(ids.filter((id) => id !== view)));
    },
    writeOutputFromQuery: (sql, onProgress) => data.writeOutputFromQuery(sql, onProgress),
    copyQueryToFiles: (sql, target, options, onProgress) => data.copyQueryToFiles(sql, target, options, onProgress),
    writeOutputFromArrow: (table) => data.writeOutputFromArrow(table),
    writeOutputFromArrowBatches: (tables) => data.writeOutputFromArrowBatches(tables),
    writeOutputFromRows: (rows) => data.writeOutputFromRows(rows),
    linkOutputFiles: (files, how) => data.linkOutputFiles(files, how),
    writeOutputAsFileView: (sql, info) => data.writeOutputAsFileView(sql, info),
    fileViewsOf: (ids) => data.fileViewsOf(ids.filter((id) => id !== view)),
    readArrow: (id) => data.readArrow(id),
    streamArrow: (id, rowsPerPart) => data.streamArrow(id, rowsPerPart),
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
