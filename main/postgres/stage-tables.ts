import { createHash } from 'node:crypto';
import type pg from 'pg';
import { qualifiedName } from '../data/sql-names.ts';

/** Every committed staging table starts with this (the parallel replace's; append and upsert stage in TEMP tables). */
export const STAGE_PREFIX = '_pw_stage_';

/**
 * Marks a staging table live: a session-level advisory lock on its name, taken before the table is created and
 * held until it is swapped in or dropped. Postgres releases it when the session ends, so a killed process's
 * staging tables are exactly those whose lock anyone can take.
 */
export async function holdStagingLock(client: pg.Client, schema: string, name: string): Promise<void> {
  await client.query('SELECT pg_advisory_lock($1::bigint)', [stageLockKey(schema, name)]);
}

/** Releases holdStagingLock's lock (a dead connection has nothing to release: its lock died with it). */
export async function releaseStagingLock(client: pg.Client, schema: string, name: string): Promise<void> {
  await client.query('SELECT pg_advisory_unlock($1::bigint)', [stageLockKey(schema, name)]).catch(() => undefined);
}

/**
 * Drops the staging tables, in any schema of the database, left by loads whose process died (a kill -9, a power
 * cut): those whose lock can be taken. A live load's table (this process or another) is never touched; a table
 * still locked by a dying backend is left for the next load. Resolves to the tables dropped.
 */
export async function dropDeadStagingTables(client: pg.Client, log: (message: string) => void): Promise<string[]> {
  const found = await client.query<{ schema: string; name: string }>(
    `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND starts_with(c.relname, $1) AND n.nspname NOT LIKE 'pg\\_temp\\_%'
        AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%' AND pg_has_role(c.relowner, 'USAGE')`,
    [STAGE_PREFIX],
  );
  const dropped: string[] = [];
  for (const { schema, name } of found.rows) {
    const key = stageLockKey(schema, name);
    const [taken] = (await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [key])).rows;
    if (!taken?.ok) continue; // a live load holds it
    try {
      if (await dropWithin(client, qualifiedName(schema, name))) dropped.push(`${schema}.${name}`);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1::bigint)', [key]);
    }
  }
  if (dropped.length > 0)
    log(`dropped ${dropped.length} staging table${dropped.length === 1 ? '' : 's'} left by interrupted loads: ${dropped.join(', ')}`);
  return dropped;
}

/** DROP with a short lock timeout: a COPY of the dead process may still hold the table until its backend notices. */
async function dropWithin(client: pg.Client, table: string): Promise<boolean> {
  await client.query('BEGIN');
  try {
    await client.query("SET LOCAL lock_timeout = '2s'");
    await client.query(`DROP TABLE IF EXISTS ${table}`);
    await client.query('COMMIT');
    return true;
  } catch (error) {
    await client.query('ROLLBACK');
    if ((error as { code?: string }).code === '55P03') return false; // lock_not_available: the next load tries again
    throw error;
  }
}

/** A 64-bit advisory-lock key of one staging table (a signed bigint, as pg_advisory_lock takes it). */
function stageLockKey(schema: string, name: string): string {
  return createHash('sha256').update(`pipewright-stage\0${schema}\0${name}`).digest().readBigInt64BE(0).toString();
}
