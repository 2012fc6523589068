import { createHash } from 'node:crypto';
import type pg from 'pg';
import { qualifiedName, quoteIdent } from '../data/sql-names.ts';

/** The append ledger, one per target schema: which logical load appended into which table. */
export const LEDGER = '_pw_loads';

/**
 * What one append is, whatever attempt or process carries it out: the logical run (a resume's first run) and the
 * block, into this table. Retries, resumes and "Retry failed blocks" of that run find it; a new run of the pipeline
 * is a new key and appends again. The data's identity is recorded, not matched: a resume reads the upstream's latest
 * output, which a newer run may have replaced (and loaded itself), so matching it would load that newer data twice.
 */
export interface LoadKey {
  originRunId: string;
  blockId: string;
  /** The upstream output's identity (BlockSession.outputIdentity): which data was appended. */
  sourceId: string;
  /** The run doing the load now (recorded, not part of the key). */
  runId: string;
}

export interface LedgerEntry {
  loadedByRun: string | null;
  /** The upstream output it loaded ('' for entries older than this column). */
  sourceId: string;
  rows: number;
  loadedAt: Date;
}

/**
 * Inside the load's transaction: creates or upgrades the ledger, takes a transaction lock on the key (a second
 * process loading the same key waits here, then finds our entry), and returns the entry when the load already
 * happened.
 */
export async function findLoad(client: pg.Client, schema: string, table: string, key: LoadKey): Promise<LedgerEntry | undefined> {
  const ledger = qualifiedName(schema, LEDGER);
  await ensureLedger(client, schema);
  await client.query('SELECT pg_advisory_xact_lock($1::bigint)', [lockKeyOf(schema, table, key)]);
  const found = await client.query<{ loaded_by_run: string | null; source_id: string; row_count: string; loaded_at: Date }>(
    `SELECT loaded_by_run, source_id, row_count, loaded_at FROM ${ledger} WHERE run_id = $1 AND block_id = $2 AND target_table = $3 LIMIT 1`,
    [key.originRunId, key.blockId, table],
  );
  const row = found.rows[0];
  return row
    ? { loadedByRun: row.loaded_by_run, sourceId: row.source_id, rows: Number(row.row_count), loadedAt: row.loaded_at }
    : undefined;
}

/** Records the load, in the same transaction as the rows it appended. */
export async function recordLoad(client: pg.Client, schema: string, table: string, key: LoadKey, rows: number): Promise<void> {
  await client.query(
    `INSERT INTO ${qualifiedName(schema, LEDGER)} (run_id, block_id, target_table, source_id, loaded_by_run, row_count) VALUES ($1, $2, $3, $4, $5, $6)`,
    [key.originRunId, key.blockId, table, key.sourceId, key.runId, rows],
  );
}

async function ensureLedger(client: pg.Client, schema: string): Promise<void> {
  const ledger = qualifiedName(schema, LEDGER);
  await client.query(`CREATE TABLE IF NOT EXISTS ${ledger} (run_id text NOT NULL, block_id text NOT NULL, target_table text NOT NULL,
    row_count bigint NOT NULL, loaded_at timestamptz NOT NULL DEFAULT now(), source_id text NOT NULL DEFAULT '', loaded_by_run text,
    PRIMARY KEY (run_id, block_id, target_table, source_id))`);
  const hasSource = await client.query(
    `SELECT 1 FROM pg_attribute WHERE attrelid = $1::regclass AND attname = 'source_id' AND NOT attisdropped`,
    [ledger],
  );
  if ((hasSource.rowCount ?? 0) > 0) return;
  // A ledger of an earlier version, keyed by run id alone: widened in place (one statement, so all or nothing).
  const pkey = await client.query<{ name: string }>(
    `SELECT conname AS name FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'p'`,
    [ledger],
  );
  const dropKey = pkey.rows[0] ? `DROP CONSTRAINT ${quoteIdent(pkey.rows[0].name)}, ` : '';
  await client.query(`ALTER TABLE ${ledger} ADD COLUMN IF NOT EXISTS source_id text NOT NULL DEFAULT '', ADD COLUMN IF NOT EXISTS loaded_by_run text,
    ${dropKey}ADD PRIMARY KEY (run_id, block_id, target_table, source_id)`);
}

/** A 64-bit advisory-lock key of one logical load (a signed bigint, as pg_advisory_xact_lock takes it). */
function lockKeyOf(schema: string, table: string, key: LoadKey): string {
  const text = ['pipewright-append', schema, table, key.originRunId, key.blockId].join('\0');
  return createHash('sha256').update(text).digest().readBigInt64BE(0).toString();
}
