import { z } from 'zod';
import { UserError, type ErrorPlace } from '../errors.ts';
import type { BlockContext, BlockKind } from '../engine/block-kind.ts';
import { quoteLiteral } from '../data/sql-names.ts';
import type { PostgresConnection } from '../connections/connection-profile.ts';
import { requireFamily } from '../connections/block-connection.ts';
import { connectPostgres, explainPostgresError } from '../postgres/pg-connect.ts';
import { loadTable } from '../postgres/load-table.ts';
import { pipeCsv } from '../postgres/csv-pipe.ts';
import { checkExportNames, checkIdentifier, exportColumn } from './postgres-types.ts';
import { onlyUpstream } from './export-upstream.ts';

const configSchema = z.strictObject({
  /** A profile of connections.yaml; default: pipewright.yaml's default_connections.postgres. */
  connection: z.string().min(1).optional(),
  /** Default: the connection's schema, else public. Created when missing. */
  schema: z.string().min(1).optional(),
  table: z.string().min(1),
  mode: z.enum(['replace', 'append', 'upsert', 'fail']).default('replace'),
  /** Key columns of an upsert. */
  key: z.array(z.string().min(1)).min(1).optional(),
  /** When an existing table's columns differ from the output (append, upsert). */
  on_schema_change: z.enum(['fail', 'add_columns']).default('fail'),
  /** Connections that COPY at once in replace and fail modes (Postgres parses each COPY on one core). */
  copy_connections: z.number().int().min(1).max(8).default(2),
});
type PostgresExportConfig = z.infer<typeof configSchema>;

/** Streams the upstream block's output into a Postgres table with COPY: atomic replace, idempotent append, upsert. */
export const postgresExport: BlockKind<PostgresExportConfig> = {
  type: 'export',
  kind: 'postgres',
  title: 'Postgres table (COPY)',
  configSchema,
  code: 'none',
  async run(ctx, config) {
    const place: ErrorPlace = { block: ctx.block.id };
    // 1. Check everything that can be checked before touching Postgres.
    const upstream = onlyUpstream(ctx);
    const described = await ctx.data.describe(upstream);
    checkExportNames(described.columns, place);
    const columns = described.columns.map(exportColumn);
    const key = checkKey(config, columns.map((c) => c.name), place);
    const conn = await resolveBlockConnection(ctx, config.connection, place);
    const schema = config.schema ?? conn.schema ?? 'public';
    checkIdentifier(schema, 'schema', { ...place, path: 'config.schema' });
    checkIdentifier(config.table, 'table', { ...place, path: 'config.table' });

    // 2. Connect first, so bad credentials fail before DuckDB starts writing.
    const client = await connectPostgres(conn, place);
    const opened = [client];
    const onAbort = () => opened.forEach(destroyConnection);
    // More connections for a parallel replace: tracked, so a cancel destroys the COPY ones and the end closes all.
    // A cleanup connection (dropping the staging table after a cancel) must outlive the cancel.
    const connect = async (purpose: 'copy' | 'cleanup') => {
      const another = await connectPostgres(conn, place);
      opened.push(another);
      if (purpose === 'copy' && ctx.signal.aborted) destroyConnection(another);
      return another;
    };
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    const select = columns.map((c) => c.selectExpr).join(', ');
    const writeCsv = (target: string) =>
      ctx.data.run(`COPY (SELECT ${select} FROM ${ctx.data.relation(upstream)}) TO ${quoteLiteral(target)} (FORMAT csv, HEADER false)`);
    try {
      // 3. DuckDB writes Postgres's CSV text forms into a pipe while Postgres loads it, in one transaction: staging,
      //    COPY (its row count checked against DuckDB's), swap or merge. Rows never pass through the JS heap.
      const result = await pipeCsv(ctx.tempDir, writeCsv, (csv) => loadTable(client, {
        schema, table: config.table, columns, csv, mode: config.mode, key, expectedRows: described.rows, onSchemaChange: config.on_schema_change,
        runId: ctx.runId, blockId: ctx.block.id, place, parallel: { connections: config.copy_connections, connect },
        log: (message) => ctx.log('info', message),
        onBytes: (done, total) => ctx.progress({ phase: 'copy', done, ...(total !== undefined ? { total } : {}), unit: 'bytes' }),
      }), () => ctx.data.interrupt());
      const verb = config.mode === 'upsert' ? 'upserted' : config.mode === 'append' ? 'appended' : 'loaded';
      ctx.log('info', `${verb} ${result.written.toLocaleString('en-US')} rows into ${schema}.${config.table} on ${conn.label}`);
      return { rowsIn: described.rows, rowsOut: result.written, hasOutput: false };
    } catch (error) {
      throw explainPostgresError(error, conn, place);
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
      // A destroyed or dead connection has nothing left to close.
      await Promise.all(opened.map((c) => c.end().catch(() => undefined)));
    }
  },
};

function checkKey(config: PostgresExportConfig, names: string[], place: ErrorPlace): string[] {
  if (config.mode !== 'upsert') return [];
  if (!config.key) throw new UserError('mode upsert needs key: the columns that identify a row', { ...place, path: 'config.key' });
  const missing = config.key.filter((k) => !names.includes(k));
  if (missing.length) throw new UserError(`key ${missing.join(', ')} not in the output; its columns are ${names.join(', ')}`, { ...place, path: 'config.key' });
  return config.key;
}

/** The block's connection: named in config, else the project's default for postgres. */
export async function resolveBlockConnection(ctx: BlockContext, name: string | undefined, place: ErrorPlace): Promise<PostgresConnection> {
  const chosen = name ?? ctx.project.settings.default_connections?.postgres;
  if (!chosen) throw new UserError('no connection: set config.connection, or default_connections.postgres in pipewright.yaml', { ...place, path: 'config.connection' });
  if (!ctx.connection) throw new Error('this host runs blocks without connections');
  try {
    return requireFamily(await ctx.connection(chosen), 'postgres', place);
  } catch (error) {
    if (error instanceof UserError && !error.place.block) throw new UserError(error.message, { ...error.place, block: place.block }, { cause: error });
    throw error;
  }
}

/** Cancellation: closing the socket makes Postgres abort the transaction, so nothing of this attempt remains. */
function destroyConnection(client: object): void {
  (client as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}
