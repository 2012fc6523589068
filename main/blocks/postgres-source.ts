import path from 'node:path';
import { z } from 'zod';
import { UserError, type ErrorPlace } from '../model/errors.ts';
import type { BlockKind } from '../model/block-kind.ts';
import { quoteIdent, quoteLiteral } from '../data/sql-names.ts';
import { connectPostgres, explainPostgresError } from '../postgres/pg-connect.ts';
import { copyCsvOut } from '../postgres/copy-file.ts';
import { importColumn } from '../postgres/postgres-types.ts';
import { resolveBlockConnection } from './postgres-export.ts';

const configSchema = z.strictObject({
  /** A profile of connections.yaml; default: pipewright.yaml's default_connections.postgres. */
  connection: z.string().min(1).optional(),
  /** The SELECT to run; or put it in the block's .sql file. */
  query: z.string().min(1).optional(),
});
type PostgresSourceConfig = z.infer<typeof configSchema>;

/** Runs a query on a Postgres connection and streams the result (COPY … TO STDOUT) into the block's DuckDB table. */
export const postgresSource: BlockKind<PostgresSourceConfig> = {
  type: 'source',
  kind: 'postgres',
  title: 'Postgres query',
  configSchema,
  code: 'optional',
  codeExtension: '.sql',
  async run(ctx, config) {
    const place: ErrorPlace = ctx.block.code ? { block: ctx.block.id, file: ctx.block.code.relPath } : { block: ctx.block.id };
    const query = chooseQuery(config.query, ctx.block.code?.text, place);
    const conn = await resolveBlockConnection(ctx, config.connection, place);
    const client = await connectPostgres(conn, place);
    const onAbort = () => void client.end().catch(() => undefined); // ending the session cancels its COPY
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    try {
      // 1. The result's columns and types, without running the query to completion.
      const columns = await describeQuery(client, query, place);
      // 2. Postgres streams the rows as CSV to a temp file; DuckDB parses it into the output with typed casts.
      const csvFile = path.join(ctx.tempDir, 'source.csv');
      const copied = await copyCsvOut(client, query, csvFile, (done) => ctx.progress({ phase: 'copy', done, unit: 'bytes' }));
      const raw = Object.fromEntries(columns.map((_, i) => [`c${i}`, 'VARCHAR']));
      const select = columns.map((c, i) => `${importColumn(c.type, quoteIdent(`c${i}`)).expr} AS ${quoteIdent(c.name)}`).join(', ');
      const reader = `read_csv(${quoteLiteral(csvFile)}, auto_detect = false, header = false, delim = ',', quote = '"', escape = '"', allow_quoted_nulls = false, columns = ${duckStruct(raw)})`;
      const rows = await ctx.data.writeOutputFromQuery(`SELECT ${select} FROM ${reader}`);
      if (rows !== copied) throw new Error(`Postgres sent ${copied} rows but DuckDB read ${rows}`);
      ctx.log('info', `read ${rows.toLocaleString('en-US')} rows from ${conn.label}`);
      return { rowsOut: rows, hasOutput: true };
    } catch (error) {
      throw explainPostgresError(error, conn, place);
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
      await client.end().catch(() => undefined); // already ended by a cancellation
    }
  },
};

function chooseQuery(inConfig: string | undefined, inFile: string | undefined, place: ErrorPlace): string {
  if (inConfig && inFile)
    throw new UserError('give the query either in config.query or in the .sql file, not both', { ...place, path: 'config.query' });
  const query = (inConfig ?? inFile ?? '').trim().replace(/;\s*$/, '');
  if (!query) throw new UserError('no query: set config.query or give the block a .sql file', { ...place, path: 'config.query' });
  return query;
}

async function describeQuery(client: import('pg').Client, query: string, place: ErrorPlace): Promise<{ name: string; type: string }[]> {
  const probe = await client.query(`SELECT * FROM (${query}) AS pw_query LIMIT 0`);
  if (probe.fields.length === 0) throw new UserError('the query returns no columns', place);
  const seen = new Set<string>();
  for (const field of probe.fields) {
    const key = field.name.toLowerCase(); // DuckDB column names are case-insensitive
    if (seen.has(key)) throw new UserError(`the query returns two columns named ${field.name}: alias one`, place);
    seen.add(key);
  }
  const types = await client.query<{ t: string }>(
    'SELECT format_type(oid, mod) AS t FROM unnest($1::oid[], $2::int[]) WITH ORDINALITY AS x(oid, mod, n) ORDER BY n',
    [probe.fields.map((f) => f.dataTypeID), probe.fields.map((f) => f.dataTypeModifier)],
  );
  return probe.fields.map((f, i) => ({ name: f.name, type: types.rows[i]?.t ?? 'text' }));
}

/** A DuckDB struct literal {'a': 'VARCHAR', …}. */
function duckStruct(entries: Record<string, string>): string {
  return `{${Object.entries(entries)
    .map(([k, v]) => `${quoteLiteral(k)}: ${quoteLiteral(v)}`)
    .join(', ')}}`;
}
