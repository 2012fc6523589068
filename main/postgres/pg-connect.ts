import pg from 'pg';
import { OperationalError, UserError, type ErrorPlace } from '../model/errors.ts';
import type { PostgresConnection } from '../model/connection-profile.ts';
import { quoteIdent } from '../data/sql-names.ts';

const CONNECT_TIMEOUT_MS = 10_000;

/** Opens a client on `conn`; failures become errors that say who must act (see explainPostgresError). */
export async function connectPostgres(conn: PostgresConnection, place: ErrorPlace = {}, database = conn.database): Promise<pg.Client> {
  const client = new pg.Client({
    host: conn.host,
    port: conn.port,
    user: conn.user,
    database,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: 'pipewright',
    ...(conn.password !== undefined ? { password: conn.password } : {}),
    ssl: conn.sslMode === 'disable' ? false : { rejectUnauthorized: conn.sslMode === 'verify-full' },
  });
  // A connection dying between queries is reported by the next query; without a listener it would crash the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    await client.end().catch(() => undefined); // the connect error is the one to report
    throw explainPostgresError(error, conn, place);
  }
  return client;
}

/** Creates `conn.database` when it does not exist (local Postgres: the user names a database, we make it). */
export async function ensureDatabase(conn: PostgresConnection): Promise<void> {
  const client = await connectPostgres(conn, {}, 'postgres');
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [conn.database]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE ${quoteIdent(conn.database)}`).catch((error: { code?: string }) => {
        if (error.code !== '42P04') throw error; // created meanwhile by a concurrent run: fine
      });
    }
  } finally {
    await client.end();
  }
}

interface PgError {
  code?: string;
  message?: string;
  where?: string;
  detail?: string;
}

const TRANSIENT_NETWORK = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN']);

/**
 * Classifies a pg or socket error: bad credentials, unknown hosts and missing privileges are permanent (retrying
 * cannot help: the message says what to fix); refused and dropped connections and server restarts are retryable; data that does not fit is the user's, named by column and value. Anything else is returned unchanged.
 */
export function explainPostgresError(error: unknown, conn: PostgresConnection, place: ErrorPlace = {}): unknown {
  if (error instanceof UserError || error instanceof OperationalError) return error;
  const e = (error ?? {}) as PgError;
  const code = e.code ?? '';
  const message = e.message ?? String(error);
  const at = `${conn.name} (${conn.label})`;
  const permanent = (text: string) => new OperationalError(text, { place, permanent: true, cause: error });
  if (code === '28P01' || code === '28000') {
    return permanent(
      `authentication failed on ${at}: check the user and password (${conn.name}.password in connections.yaml, PIPEWRIGHT_CONN_${conn.name.toUpperCase()}_PASSWORD or --conn ${conn.name}.password=…)`,
    );
  }
  if (code === '3D000')
    return new UserError(`database ${conn.database} does not exist on ${at}: create it or fix ${conn.name}.database`, place, {
      cause: error,
    });
  if (code === '42501') return permanent(`permission denied on ${at}: ${message}; grant the privilege to ${conn.user} or use another user`);
  if (code === 'ENOTFOUND') return permanent(`cannot resolve host ${conn.host} of ${at}: check ${conn.name}.host`);
  // Refused is what a restarting server answers for a few seconds: worth the block's retries, then explained.
  if (code === 'ECONNREFUSED')
    return new OperationalError(
      `nothing listens on ${conn.host}:${conn.port} (${at}): is the server running, and are host and port right?`,
      { place, cause: error },
    );
  if (
    TRANSIENT_NETWORK.has(code) ||
    /timeout expired|Connection terminated/i.test(message) ||
    code === '57P01' ||
    code === '57P03' ||
    code.startsWith('08')
  ) {
    return new OperationalError(`lost the connection to ${at}: ${message}`, { place, cause: error });
  }
  if (code.startsWith('22') || code === '23502') return dataError(e, place, error);
  return error;
}

/** `COPY t, line 3, column fare: "abc"` → a UserError naming the column, the line and a sample value. */
function dataError(e: PgError, place: ErrorPlace, cause: unknown): UserError {
  const match = /line (\d+), column ([^:]+)(?:: "(.*)")?/s.exec(e.where ?? '');
  if (!match)
    return new UserError(`a value does not fit its target column: ${e.message ?? ''}${e.detail ? ` (${e.detail})` : ''}`, place, { cause });
  const [, line, column, value] = match;
  const sample = value === undefined ? '' : `, value ${JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value)}`;
  return new UserError(
    `column ${column} (row ${line}${sample}) does not fit the target column: ${e.message ?? ''}`,
    { ...place, path: `column ${column}` },
    { cause },
  );
}
