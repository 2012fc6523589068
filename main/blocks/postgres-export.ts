import type pg from 'pg';
import { z } from 'zod';
import { UserError, type ErrorPlace } from '../model/errors.ts';
import type { BlockContext, BlockKind } from '../model/block-kind.ts';
import { quoteLiteral } from '../data/sql-names.ts';
import type { PostgresConnection } from '../model/connection-profile.ts';
import { requireFamily } from '../connections/block-connection.ts';
import { connectPostgres, explainPostgresError } from '../postgres/pg-connect.ts';
import { loadTable } from '../postgres/load-table.ts';
import { planTableLoad } from '../postgres/table-plan.ts';
import { schemaExists, targetColumns } from '../postgres/table-sql.ts';
import { findDrift } from '../postgres/schema-drift.ts';
import type { ExportPlan, PlanContext } from '../model/design-types.ts';
import { dropDeadStagingTables } from '../postgres/stage-tables.ts';
import { pipeCsv, type CsvSource } from '../postgres/csv-pipe.ts';
import { binaryEncoderFor, encodeChunks, firstWithoutBinaryForm, takesUtf8Binary, type BinaryEncoder } from '../postgres/binary-copy.ts';
import { checkExportNames, checkIdentifier, exportColumn, type ExportColumn } from '../postgres/postgres-types.ts';
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
    const key = checkKey(
      config,
      columns.map((c) => c.name),
      place,
    );
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
    // Staging tables a killed load left anywhere on this database go first (a live load's are never touched).
    await dropDeadStagingTables(client, (message) => ctx.log('info', message)).catch((error: unknown) => {
      ctx.log(
        'warn',
        `could not drop staging tables left by interrupted loads (the next load tries again): ${error instanceof Error ? error.message : String(error)}`,
      );
    });
    const query = `SELECT ${columns.map((c) => c.selectExpr).join(', ')} FROM ${ctx.data.relation(upstream)}`;
    const writeCsv = (target: string) => ctx.data.run(`COPY (${query}) TO ${quoteLiteral(target)} (FORMAT csv, HEADER false)`);
    const load = (source: { csv: CsvSource } | { binary: AsyncIterable<Buffer> }) =>
      loadTable(client, {
        schema,
        table: config.table,
        columns,
        ...source,
        mode: config.mode,
        key,
        expectedRows: described.rows,
        onSchemaChange: config.on_schema_change,
        loadKey: { originRunId: ctx.originRunId, blockId: ctx.block.id, sourceId: ctx.data.outputIdentity(upstream), runId: ctx.runId },
        place,
        parallel: { connections: config.copy_connections, connect },
        log: (message) => ctx.log('info', message),
        onBytes: (done, total) => ctx.progress({ phase: 'copy', done, ...(total !== undefined ? { total } : {}), unit: 'bytes' }),
      });
    try {
      // 3. Postgres loads the rows while DuckDB still produces them, in one transaction: staging, COPY (its row count
      //    checked against DuckDB's), swap or merge. Binary COPY, encoded from DuckDB's vectors a chunk at a time,
      //    when every column has a binary form (far less CPU on both sides) and the staging table is ours (replace,
      //    fail, append: binary fields must match their column's type exactly, while upsert stages into the
      //    existing table's types); otherwise DuckDB writes Postgres's CSV text forms into a pipe. Either way the
      //    table never sits in the JS heap.
      const encoder = await chooseBinary(client, config.mode, columns, { schema, table: config.table }, (message) =>
        ctx.log('info', message),
      );
      const result = encoder
        ? await ctx.data.streamChunks(query, (chunks) => load({ binary: encodeChunks(chunks, encoder) }))
        : await pipeCsv(
            ctx.tempDir,
            writeCsv,
            (csv) => load({ csv }),
            () => ctx.data.interrupt(),
          );
      const verb = config.mode === 'upsert' ? 'upserted' : config.mode === 'append' ? 'appended' : 'loaded';
      if (!result.wasAlreadyLoaded)
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
  planExport: (ctx, config) => planPostgresExport(ctx, config),
};

/**
 * The dry run: the table's current columns (read, nothing written) against the output's, and the DDL loadTable
 * would run for them (planTableLoad uses the same SQL builders).
 */
async function planPostgresExport(ctx: PlanContext, config: PostgresExportConfig): Promise<ExportPlan> {
  const place: ErrorPlace = { block: ctx.block.id };
  const columns = (ctx.columns ?? []).map(exportColumn);
  const conn = await resolveBlockConnection(ctx, config.connection, place);
  const schema = config.schema ?? conn.schema ?? 'public';
  const notes: string[] = [];
  const client = await connectPostgres(conn, place);
  let existing;
  let hasSchema;
  try {
    hasSchema = await schemaExists(client, schema);
    existing = hasSchema ? await targetColumns(client, schema, config.table) : undefined;
  } finally {
    await client.end();
  }
  if (!ctx.columns) notes.push(`the columns of ${ctx.upstream} are unknown until it runs`);
  const key = config.mode === 'upsert' ? (config.key ?? []) : [];
  const table = planTableLoad({
    schema,
    table: config.table,
    columns,
    mode: config.mode,
    key,
    onSchemaChange: config.on_schema_change,
    existing,
    hasSchema,
    copyConnections: config.copy_connections,
  });
  if (table.refusal) notes.push(`the load would be refused: ${table.refusal}`);
  return {
    blockId: ctx.block.id,
    kind: 'export/postgres',
    destination: `${schema}.${config.table} on ${conn.name} (${conn.label})`,
    mode: config.mode,
    ddl: table.ddl,
    ...(ctx.rows !== undefined ? { rows: ctx.rows } : {}),
    schemaDiff: table.schemaDiff,
    notes,
  };
}

/** The binary encoder when binary COPY can carry this load, else undefined (CSV); logs which and why. */
async function chooseBinary(
  client: pg.Client,
  mode: PostgresExportConfig['mode'],
  columns: ExportColumn[],
  target: { schema: string; table: string },
  log: (message: string) => void,
): Promise<BinaryEncoder | undefined> {
  const textual = firstWithoutBinaryForm(columns);
  const retyped = mode === 'append' ? await firstRetyped(client, columns, target) : undefined;
  const why =
    mode === 'upsert'
      ? `mode ${mode} stages into the existing table's column types`
      : retyped
        ? `column ${retyped.name} is ${retyped.from} in the table, ${retyped.to} in the output`
        : textual
          ? `column ${textual.name} (${textual.duckType}) has no binary form here`
          : !(await takesUtf8Binary(client))
            ? 'the database is not UTF-8'
            : undefined;
  log(why ? `COPY as CSV: ${why}` : 'COPY in binary format');
  return why ? undefined : binaryEncoderFor(columns);
}

/** An append's first column whose type in the existing table differs from the output's (binary needs them equal). */
async function firstRetyped(client: pg.Client, columns: ExportColumn[], target: { schema: string; table: string }) {
  const existing = await targetColumns(client, target.schema, target.table);
  return existing ? findDrift(columns, existing).retyped[0] : undefined;
}

function checkKey(config: PostgresExportConfig, names: string[], place: ErrorPlace): string[] {
  if (config.mode !== 'upsert') return [];
  if (!config.key) throw new UserError('mode upsert needs key: the columns that identify a row', { ...place, path: 'config.key' });
  const missing = config.key.filter((k) => !names.includes(k));
  if (missing.length)
    throw new UserError(`key ${missing.join(', ')} not in the output; its columns are ${names.join(', ')}`, {
      ...place,
      path: 'config.key',
    });
  return config.key;
}

/** The block's connection: named in config, else the project's default for postgres. */
export async function resolveBlockConnection(
  ctx: Pick<BlockContext, 'project' | 'connection'>,
  name: string | undefined,
  place: ErrorPlace,
): Promise<PostgresConnection> {
  const chosen = name ?? ctx.project.settings.default_connections?.postgres;
  if (!chosen)
    throw new UserError('no connection: set config.connection, or default_connections.postgres in pipewright.yaml', {
      ...place,
      path: 'config.connection',
    });
  if (!ctx.connection) throw new Error('this host runs blocks without connections');
  try {
    return requireFamily(await ctx.connection(chosen), 'postgres', place);
  } catch (error) {
    if (error instanceof UserError && !error.place.block)
      throw new UserError(error.message, { ...error.place, block: place.block }, { cause: error });
    throw error;
  }
}

/** Cancellation: closing the socket makes Postgres abort the transaction, so nothing of this attempt remains. */
function destroyConnection(client: object): void {
  (client as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}
