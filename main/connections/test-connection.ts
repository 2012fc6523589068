import { formatError, toErrorShape } from '../model/errors.ts';
import type { Project } from '../model/project.ts';
import type { BigQueryConnection, GcsConnection, PostgresConnection } from '../model/connection-profile.ts';
import { isFamily } from './block-connection.ts';
import { probeBigQuery, probeGcs } from './probe-cloud.ts';
import { resolveConnection } from './resolve-connection.ts';
import type { SecretStore } from './secret-store.ts';
import { connectPostgres, explainPostgresError } from '../postgres/pg-connect.ts';

/** What `connections test` found: reachability, authentication, the server, or the error with what to fix. */
export interface ConnectionTestResult {
  isOk: boolean;
  /** `user@host:port/database` (never a secret), once the profile resolved. */
  label?: string;
  isReachable: boolean;
  /** Known once the server answered. */
  isAuthenticated?: boolean;
  /** `PostgreSQL 18.1 …`, or what the cloud probe listed. */
  server?: string;
  /** One line: what went wrong and what to do. */
  error?: string;
}

/**
 * Tests a profile like `pipewright connections test <name>`: resolves it (starting a local server or emulator if
 * it is one), connects, authenticates and asks for the server version. Never rejects: failures are in the result.
 */
export async function testConnection(project: Project, name: string, secrets: SecretStore): Promise<ConnectionTestResult> {
  let conn;
  try {
    conn = await resolveConnection(project, name, { secrets });
  } catch (error) {
    return { isOk: false, isReachable: false, error: `cannot resolve: ${formatError(toErrorShape(error))}` };
  }
  if (isFamily(conn, 'postgres')) return testPostgres(conn);
  return testCloud(conn, project.dir);
}

async function testPostgres(conn: PostgresConnection): Promise<ConnectionTestResult> {
  try {
    const client = await connectPostgres(conn);
    try {
      const { rows } = await client.query<{ version: string }>('SELECT version() AS version');
      return { isOk: true, label: conn.label, isReachable: true, isAuthenticated: true, server: rows[0]?.version ?? 'unknown' };
    } finally {
      await client.end();
    }
  } catch (error) {
    const shape = toErrorShape(explainPostgresError(error, conn));
    // connectPostgres already explained the error; the socket's code sits in its cause.
    const code = ((error as { cause?: { code?: string } }).cause ?? (error as { code?: string })).code ?? '';
    const isReachable =
      !['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH'].includes(code) &&
      !/timeout|nothing listens|cannot resolve host/i.test(shape.message);
    return { isOk: false, label: conn.label, isReachable, ...(isReachable ? { isAuthenticated: false } : {}), error: formatError(shape) };
  }
}

async function testCloud(conn: GcsConnection | BigQueryConnection, projectDir: string): Promise<ConnectionTestResult> {
  const result = isGcs(conn) ? await probeGcs(conn, projectDir) : await probeBigQuery(conn, projectDir);
  return {
    isOk: !result.error,
    label: conn.label,
    isReachable: result.isReachable,
    ...(result.isAuthenticated !== undefined ? { isAuthenticated: result.isAuthenticated } : {}),
    ...(result.listing ? { server: result.listing } : {}),
    ...(result.error ? { error: result.error } : {}),
  };
}

function isGcs(conn: GcsConnection | BigQueryConnection): conn is GcsConnection {
  return conn.type === 'gcs' || conn.type === 'local_gcs';
}
