import { UserError } from '../model/errors.ts';
import { resolveBlockConnection } from '../blocks/postgres-export.ts';
import { connectPostgres } from '../postgres/pg-connect.ts';
import { fail, messageOf, ok, skip, warn, type CheckEnv, type CheckItem } from './check-types.ts';

interface PostgresConfig {
  connection?: string | undefined;
  schema?: string | undefined;
  table?: string;
  mode?: 'replace' | 'append' | 'upsert' | 'fail';
  on_schema_change?: 'fail' | 'add_columns';
}

/** A postgres block's server as the run will find it: connects, and for an export checks CREATE rights and an append's columns. */
export async function checkPostgres(env: CheckEnv, config: PostgresConfig, isExport: boolean): Promise<CheckItem[]> {
  let conn;
  try {
    conn = await resolveBlockConnection(env, config.connection, { block: env.block.id });
  } catch (error) {
    if (error instanceof UserError) return [fail('connection', error.message)];
    throw error;
  }
  let client;
  try {
    client = await connectPostgres(conn, { block: env.block.id });
  } catch (error) {
    return [fail('connection', messageOf(error))];
  }
  try {
    const items: CheckItem[] = [ok('connection', conn.label)];
    if (!isExport || !config.table) return items;
    const schema = config.schema ?? conn.schema ?? 'public';
    // A missing schema is created by the export: that needs CREATE on the database instead.
    const { rows } = await client.query<{ can: boolean; exists: boolean }>(
      `SELECT to_regnamespace($1) IS NOT NULL AS exists, CASE WHEN to_regnamespace($1) IS NULL THEN has_database_privilege(current_database(), 'CREATE') ELSE has_schema_privilege($1, 'CREATE') END AS can`,
      [schema],
    );
    const where = rows[0]?.exists ? `schema ${schema}` : `database ${conn.database} (schema ${schema} is created by the run)`;
    items.push(
      rows[0]?.can
        ? ok('permissions', `CREATE on ${where}`)
        : fail(
            'permissions',
            `${conn.user ?? 'this user'} may not create tables in ${schema}: GRANT CREATE ON ${rows[0]?.exists ? `SCHEMA ${schema}` : `DATABASE ${conn.database}`}`,
          ),
    );
    items.push(await tableColumns(env, client, schema, config));
    return items;
  } finally {
    await client.end();
  }
}

async function tableColumns(
  env: CheckEnv,
  client: { query<R>(sql: string, values: unknown[]): Promise<{ rows: R[] }> },
  schema: string,
  config: PostgresConfig,
): Promise<CheckItem> {
  if (config.mode !== 'append' && config.mode !== 'upsert')
    return skip('table columns', `mode ${config.mode ?? 'replace'} does not depend on them`);
  const upstream = env.block.upstream[0];
  const columns = upstream ? await env.upstreamColumns(upstream) : undefined;
  if (!columns) return skip('table columns', `${upstream ?? 'the upstream'} has no output yet`);
  const { rows } = await client.query<{ name: string }>(
    'SELECT column_name AS name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2',
    [schema, config.table],
  );
  if (rows.length === 0) return ok('table columns', `${schema}.${config.table} does not exist yet; the run creates it`);
  const existing = new Set(rows.map((r) => r.name));
  const missing = columns.map((c) => c.name).filter((n) => !existing.has(n));
  if (missing.length === 0) return ok('table columns', `${schema}.${config.table} has every column of ${upstream}`);
  if (config.on_schema_change === 'add_columns')
    return warn('table columns', `${missing.join(', ')} will be added to ${schema}.${config.table}`);
  return fail('table columns', `${schema}.${config.table} lacks ${missing.join(', ')}: add them, or set on_schema_change: add_columns`);
}
