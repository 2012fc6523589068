import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { stringify } from 'yaml';
import { LocalPostgres, type LocalServerInfo } from '../../main/postgres/local-server.ts';
import type { PostgresConnection } from '../../main/model/connection-profile.ts';
import { ensureDatabase } from '../../main/postgres/pg-connect.ts';
import { openProject } from '../../main/runtime/open-project.ts';
import type { RunResult } from '../../main/model/engine-types.ts';
import type { RunEvent } from '../../main/model/run-events.ts';
import { z } from 'zod';
import { createDefaultRegistry } from '../../main/blocks/index.ts';
import type { BlockKind } from '../../main/model/block-kind.ts';
import { createTempProject, type TempProject } from './temp-project.ts';
import { waitUntil } from './wait-until.ts';

const sqlSourceConfig = z.strictObject({ sql: z.string().min(1) });

/** A test source whose output is any DuckDB SELECT (no upstream), so exports can be fed exact values. */
const sqlSource: BlockKind<z.infer<typeof sqlSourceConfig>> = {
  type: 'source',
  kind: 'test_sql',
  title: 'Test SQL source',
  configSchema: sqlSourceConfig,
  code: 'none',
  async run(ctx, config) {
    return { rowsOut: await ctx.data.writeOutputFromQuery(config.sql), hasOutput: true };
  },
};

/** A real Postgres (the embedded one) in a temp folder on a free port, for one test file. */
export interface TestPostgres {
  conn: PostgresConnection;
  /** Runs SQL as the superuser on the test database. */
  query<R extends pg.QueryResultRow = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  stop(): Promise<void>;
}

/** Env variable the test projects' connections read the password from. */
export const PASSWORD_ENV = 'PW_TEST_PG_PASSWORD';

/** The connection `pg` to database `test` of a local server, as the test projects name it. */
export function testConnection(info: LocalServerInfo): PostgresConnection {
  return {
    name: 'pg',
    type: 'postgres',
    host: info.host,
    port: info.port,
    database: 'test',
    user: info.user,
    password: info.password,
    sslMode: 'disable',
    schema: undefined,
    label: `${info.user}@${info.host}:${info.port}/test`,
  };
}

/** Starts an embedded Postgres in a temp dir with database `test`; `stop()` stops it and removes the folder. */
export async function startTestPostgres(): Promise<TestPostgres> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-pg-'));
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  const server = LocalPostgres.at(dir);
  const info = await server.ensureRunning(password);
  const conn = testConnection(info);
  await ensureDatabase(conn);
  process.env[PASSWORD_ENV] = password;
  const client = new pg.Client({ host: info.host, port: info.port, user: info.user, password, database: 'test' });
  client.on('error', () => undefined); // a test that kills the server sees it in its next query, not as a crash
  await client.connect();
  return {
    conn,
    query: async (sql, params) => (await client.query(sql, params)).rows,
    stop: async () => {
      await client.end();
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A temp project whose connection `pg` points at the test Postgres (password read from the environment). */
export function createPgProject(pgServer: TestPostgres, extraConnections: Record<string, unknown> = {}): TempProject {
  const project = createTempProject({ default_connections: { postgres: 'pg' } });
  const { host, port, user } = pgServer.conn;
  project.writeFile(
    'connections.yaml',
    stringify({
      pg: { type: 'postgres', host, port, user, database: 'test', password: { env: PASSWORD_ENV } },
      ...extraConnections,
    }),
  );
  return project;
}

export interface ExportPipeline {
  /** The DuckDB SELECT producing the exported rows. */
  sql: string;
  config: Record<string, unknown>;
  retries?: number;
}

/** Writes pipeline `p`: block `src` (a test SQL source) exported by block `to_pg` (postgres) with `config`. */
export function writeExportPipeline(project: TempProject, spec: ExportPipeline): void {
  project.writePipeline('p', {
    blocks: [
      { id: 'src', type: 'source', kind: 'test_sql', config: { sql: spec.sql } },
      {
        id: 'to_pg',
        type: 'export',
        kind: 'postgres',
        upstream: ['src'],
        config: spec.config,
        retry: { retries: spec.retries ?? 0, delay: 0.01, max_delay: 0.05 },
      },
    ],
  });
}

/** Runs pipeline `p` of the project in-process; resolves to the result and every event. */
export async function runPipeline(
  dir: string,
  opts: { overrides?: Record<string, Record<string, string>>; onEvent?: (e: RunEvent) => void; runId?: string; signal?: AbortSignal } = {},
): Promise<{ result: RunResult; events: RunEvent[] }> {
  const open = await openProject(dir, { kinds: createDefaultRegistry().register(sqlSource) });
  const events: RunEvent[] = [];
  try {
    const pipeline = await open.loadPipeline('p');
    const result = await open.run(
      {
        pipeline,
        scope: { kind: 'pipeline' },
        trigger: { kind: 'test' },
        ...(opts.runId ? { runId: opts.runId } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.overrides ? { connectionOverrides: opts.overrides } : {}),
      },
      (event) => {
        events.push(event);
        opts.onEvent?.(event);
      },
    );
    return { result, events };
  } finally {
    await open.close();
  }
}

/** Terminates the first backend found running `COPY … FROM STDIN` for Pipewright; resolves once it did. */
export async function terminateCopyWhenSeen(pgServer: TestPostgres, timeoutMs = 20_000): Promise<void> {
  await waitForCopy(pgServer, timeoutMs, 'pg_terminate_backend(pid)');
}

/** Resolves once a backend is running Pipewright's `COPY … FROM STDIN` (evaluating `action` on its pid, if given). */
export async function waitForCopy(pgServer: TestPostgres, timeoutMs = 20_000, action = 'true'): Promise<void> {
  await waitUntil(
    async () => {
      const seen = await pgServer.query<{ ok: boolean }>(
        `select ${action} as ok from pg_stat_activity
        where application_name = 'pipewright' and query ilike 'COPY %FROM STDIN%' and state = 'active'`,
      );
      return seen.some((k) => k.ok);
    },
    { what: "Pipewright's COPY … FROM STDIN", timeoutMs, intervalMs: 5 },
  );
}

/** The block's final error message, or undefined when it succeeded. */
export function blockError(result: RunResult, blockId: string): string | undefined {
  return result.blocks.find((b) => b.id === blockId)?.error?.message;
}
