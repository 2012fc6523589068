import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { LocalPostgres } from '../main/postgres/local-server.ts';
import { ensureDatabase } from '../main/postgres/pg-connect.ts';
import type { PostgresConnection } from '../main/model/connection-profile.ts';
import { blockError, createPgProject, runPipeline, testConnection, writeExportPipeline, type TestPostgres } from './helpers/postgres.ts';
import { waitUntil } from './helpers/wait-until.ts';
import { countRows } from '../bench/postgres-contenders.ts';

// The Postgres server dies mid-COPY (a backend PANICs, or the whole server is killed): the run must end with an error
// naming the block and the connection, never crash the process (an unhandled pg 'error' event), and the table keeps
// its previous rows. Each query here opens its own client, so the test itself survives the crash.

const BIG = "select range as id, 'row number ' || range as label, (range * 0.5)::double as half from range(1500000)"; // binary COPY: every type has a binary form

let server: LocalPostgres;
let dir: string;
let conn: PostgresConnection;
const password = `pw-${Math.random().toString(36).slice(2)}`;

before(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'pw-pg-crash-'));
  server = LocalPostgres.at(dir);
  const info = await server.ensureRunning(password);
  conn = testConnection(info);
  await ensureDatabase(conn);
  process.env.PW_TEST_PG_PASSWORD = password;
});
after(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function query<R extends pg.QueryResultRow>(sql: string): Promise<R[]> {
  const client = new pg.Client({ host: conn.host, port: conn.port, user: conn.user, password, database: 'test' });
  client.on('error', () => undefined); // this client's own connection may die with the server: the query reports it
  await client.connect();
  try {
    return (await client.query<R>(sql)).rows;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Pids of Pipewright's backends running COPY … FROM STDIN, once at least one is seen. */
async function copyBackends(): Promise<number[]> {
  return waitUntil(
    async () => {
      const rows = await query<{ pid: number }>(
        `select pid from pg_stat_activity where application_name = 'pipewright' and query ilike 'COPY %FROM STDIN%' and state = 'active'`,
      );
      return rows.length ? rows.map((r) => r.pid) : undefined;
    },
    { what: "Pipewright's COPY … FROM STDIN", timeoutMs: 60_000, intervalMs: 5 },
  );
}

/** The postmaster's pid and its children (every backend and auxiliary process). */
function serverProcesses(): number[] {
  const postmaster = Number(readFileSync(path.join(server.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const children = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      const stat = safeStat(pid);
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster;
    })
    .map(Number);
  return [postmaster, ...children];
}

function safeStat(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return ''; // the process exited meanwhile: not a child any more
  }
}

/** A backend killed by a signal is a crash to Postgres: it ends every other connection and recovers, as on a PANIC. */
async function crashBackend(): Promise<void> {
  for (const pid of (await copyBackends()).slice(0, 1)) process.kill(pid, 'SIGKILL');
}

/** The whole server killed at once: postmaster and backends. */
async function killServer(): Promise<void> {
  await copyBackends();
  for (const pid of serverProcesses()) process.kill(pid, 'SIGKILL');
}

const pgServer = (): TestPostgres => ({ conn, query: (sql) => query(sql), stop: async () => undefined });

for (const mode of ['replace', 'append'] as const) {
  for (const [how, kill] of [
    ['a backend crash (as a PANIC)', crashBackend],
    ['a hard kill of the server', killServer],
  ] as const) {
    test(`${mode}: ${how} mid-COPY fails the block with a clear error and keeps the previous rows`, async () => {
      const project = createPgProject(pgServer());
      const table = `${mode}_${how.includes('PANIC') ? 'panic' : 'kill'}`;
      try {
        writeExportPipeline(project, { sql: BIG.replace('1500000', '3'), config: { schema: 'crash', table, mode } });
        assert.equal((await runPipeline(project.dir)).result.status, 'succeeded');

        writeExportPipeline(project, { sql: BIG, config: { schema: 'crash', table, mode } });
        const [{ result }] = await Promise.all([runPipeline(project.dir), kill()]);
        assert.equal(result.status, 'failed');
        const message = blockError(result, 'to_pg') ?? '';
        assert.match(message, /lost the connection to pg \(|nothing listens on/, message);
        assert.ok(message.includes(conn.label), message);

        if (kill === killServer) {
          // After a crash Postgres recovers by itself; killed, it is started again (on a new port).
          const info = await server.ensureRunning(password);
          conn = testConnection(info);
        }
        const rows = await waitUntil(() => query<{ n: number }>(`select count(*)::int as n from crash.${table}`).catch(() => undefined), {
          what: 'the server back after recovery',
          timeoutMs: 60_000,
          intervalMs: 100,
        });
        assert.deepEqual(rows, [{ n: 3 }], 'the previous rows are kept');
      } finally {
        project.cleanup();
      }
    });
  }
}

test("the bench's own row count fails, not crashes, when the server crashes under it", async () => {
  await query(`create schema if not exists ny_taxi; create or replace view ny_taxi.yellow_cab_data as select 1 from pg_sleep(60)`);
  const counting = countRows(conn);
  const pid = await waitUntil(
    async () =>
      (await query<{ pid: number }>(`select pid from pg_stat_activity where query ilike 'SELECT count(*)%yellow_cab_data%'`))[0]?.pid,
    { what: 'the count to run', intervalMs: 5 },
  );
  process.kill(pid, 'SIGKILL');
  await assert.rejects(counting, /terminat|lost the connection|ECONNRESET/i);
  await waitUntil(() => query('select 1').catch(() => undefined), { what: 'the server back after recovery', timeoutMs: 60_000 });
  await query('drop view ny_taxi.yellow_cab_data');
});
