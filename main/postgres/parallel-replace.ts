import { createHash, randomBytes } from 'node:crypto';
import type { Writable } from 'node:stream';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { UserError } from '../model/errors.ts';
import { qualifiedName } from '../data/sql-names.ts';
import type { LoadResult, LoadSpec, ParallelConnections } from './load-table.ts';
import { splitRecords, splitTuples } from './split-records.ts';
import { BINARY_COPY_HEADER, BINARY_COPY_TRAILER } from './binary-copy.ts';
import { killPoint } from '../model/kill-point.ts';
import { holdStagingLock, releaseStagingLock, STAGE_PREFIX } from './stage-tables.ts';
import { checkCount, columnList, createTableSql, ensureSchema, swapInSql, targetColumns } from './table-sql.ts';

/**
 * Replace (or fail-if-exists) over several connections, for speed: Postgres parses COPY on one core per
 * connection. Other connections cannot see a table that is not committed, so the staging table is committed
 * empty, filled by one COPY per connection, and swapped in by ONE short transaction (drop the old table, rename
 * the staging one). Readers see the old table or the new one, never a partial one; any failure before the swap
 * leaves the old table untouched and drops the staging table. An advisory lock on the target serialises
 * Pipewright loads of one table, so staging tables of the target found while holding it are a dead process's
 * leftovers and are dropped.
 */
/** The staging table name of a parallel replace: the target's prefix and a random suffix (`<suffix>` in a plan). */
export function parallelStagingName(schema: string, table: string, suffix = randomBytes(4).toString('hex')): string {
  return `${stagingPrefix(schema, table)}${suffix}`;
}

export async function replaceInParallel(main: pg.Client, spec: LoadSpec, parallel: ParallelConnections): Promise<LoadResult> {
  const clients = [main, ...(await Promise.all(Array.from({ length: parallel.connections - 1 }, () => parallel.connect('copy'))))];
  const target = qualifiedName(spec.schema, spec.table);
  const prefix = stagingPrefix(spec.schema, spec.table);
  const stagingName = parallelStagingName(spec.schema, spec.table);
  const staging = qualifiedName(spec.schema, stagingName);
  await main.query('SELECT pg_advisory_lock($1::bigint)', [lockKey(spec.schema, spec.table)]);
  let isStaged = false;
  try {
    // 1. Checks and leftovers, outside any transaction: nothing here changes what readers see.
    await ensureSchema(main, spec.schema);
    await refuseExisting(main, spec);
    await dropLeftovers(main, spec.schema, prefix);
    // 2. The staging table, committed so the other connections can fill it; locked first, so the cleanup of another
    //    process (dropDeadStagingTables) knows it is live.
    await holdStagingLock(main, spec.schema, stagingName);
    await main.query(createTableSql(staging, spec.columns));
    isStaged = true;
    // 3. One COPY per connection, records dealt out in slices; their counts must add up to the rows read.
    const format = spec.binary ? 'binary' : 'csv';
    const copies = clients.map((client) =>
      client.query(copyFrom(`COPY ${staging} (${columnList(spec.columns)}) FROM STDIN (FORMAT ${format})`)),
    );
    await dealOut(spec, copies);
    const copied = checkCount(
      copies.reduce((sum, copy) => sum + copy.rowCount, 0),
      spec.expectedRows,
    );
    killPoint('postgres.replace.copied');
    // 4. The swap, in one transaction.
    await swapIn(main, spec, staging, target);
    isStaged = false;
    return { copied, written: copied, wasAlreadyLoaded: false };
  } finally {
    if (isStaged) await dropStaging(clients, () => parallel.connect('cleanup'), staging, spec);
    await releaseStagingLock(main, spec.schema, stagingName);
    // The lock dies with its session anyway; a dead main connection has nothing to unlock.
    await main.query('SELECT pg_advisory_unlock($1::bigint)', [lockKey(spec.schema, spec.table)]).catch(() => undefined);
  }
}

/** Deals the spec's binary tuples or CSV records out to the COPY streams, reporting bytes as they go. */
async function dealOut(spec: LoadSpec, copies: Writable[]): Promise<void> {
  if (spec.binary)
    return splitTuples(countBytes(spec.binary, spec.onBytes), copies, { header: BINARY_COPY_HEADER, trailer: BINARY_COPY_TRAILER });
  const csv = spec.csv;
  if (!csv) throw new Error('a load needs binary tuples or CSV');
  return splitRecords(csv.stream, copies, (done) => spec.onBytes(done, csv.totalBytes));
}

async function* countBytes(buffers: AsyncIterable<Buffer>, onBytes: (done: number) => void): AsyncGenerator<Buffer> {
  let done = 0;
  for await (const buffer of buffers) {
    done += buffer.length;
    onBytes(done);
    yield buffer;
  }
}

async function swapIn(client: pg.Client, spec: LoadSpec, staging: string, target: string): Promise<void> {
  await client.query('BEGIN');
  try {
    // Checked again inside the transaction: a table created meanwhile by someone else must not be dropped in fail mode.
    const existing = await refuseExisting(client, spec);
    // DROP waits for readers of the old table; they keep seeing it until COMMIT.
    for (const sql of swapInSql(target, staging, spec.table, existing)) await client.query(sql);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined); // the connection may be gone; the first error is the one to report
    throw error;
  }
  killPoint(`postgres.${spec.mode}.committed`);
}

async function refuseExisting(client: pg.Client, spec: LoadSpec): Promise<boolean> {
  const existing = await targetColumns(client, spec.schema, spec.table);
  if (existing && spec.mode === 'fail') {
    throw new UserError(`${spec.schema}.${spec.table} already exists and mode is fail: choose replace, append or upsert`, {
      ...spec.place,
      path: 'config.mode',
    });
  }
  return existing !== undefined;
}

/** Drops staging tables of this target left by a load that died (we hold the target's lock, so none is live). */
async function dropLeftovers(client: pg.Client, schema: string, prefix: string): Promise<void> {
  const found = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind = 'r' AND starts_with(c.relname, $2)`,
    [schema, prefix],
  );
  for (const { name } of found.rows) await client.query(`DROP TABLE IF EXISTS ${qualifiedName(schema, name)}`);
}

/**
 * Drops the staging table through the first connection still alive, else a new one (every COPY connection may have
 * been killed); if even that fails, the next load of the target drops it.
 */
async function dropStaging(clients: pg.Client[], connect: () => Promise<pg.Client>, staging: string, spec: LoadSpec): Promise<void> {
  const drop = (client: pg.Client) =>
    client.query(`DROP TABLE IF EXISTS ${staging}`).then(
      () => true,
      () => false,
    );
  for (const client of clients) if (await drop(client)) return;
  const isDropped = await connect().then(
    async (fresh) => {
      // Our COPY backends hold the staging table until the server notices their closed sockets: end them now so the
      // DROP need not wait (a role may end its own backends). If that is refused, the DROP just waits.
      const pids = clients.map((c) => (c as unknown as { processID: number | null }).processID).filter((pid) => pid !== null);
      await fresh.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [pids]).catch(() => undefined);
      return drop(fresh);
    },
    () => false,
  );
  if (!isDropped) spec.log(`could not drop the staging table ${staging}: the next load of ${spec.schema}.${spec.table} drops it`);
}

/** `_pw_stage_<hash of the target>_`: names a target's staging tables, short and safe whatever the target's name. */
function stagingPrefix(schema: string, table: string): string {
  return `${STAGE_PREFIX}${createHash('sha256').update(`${schema}\0${table}`).digest('hex').slice(0, 12)}_`;
}

/** A 64-bit advisory-lock key of the target (a signed bigint, as pg_advisory_lock takes it). */
function lockKey(schema: string, table: string): string {
  return createHash('sha256').update(`pipewright-load\0${schema}\0${table}`).digest().readBigInt64BE(0).toString();
}
