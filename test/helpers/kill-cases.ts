import type { BigQuery } from '@google-cloud/bigquery';
import type { Storage } from '@google-cloud/storage';
import type { TestPostgres } from './postgres.ts';

/** Rows the source block of every kill case produces. */
export const SOURCE_ROWS = 3000;
/** The source block: ids 0…SOURCE_ROWS-1, a label, and a partition column of four values. */
export const SOURCE_SQL = `select range as id, 'row ' || range as label, range % 4 as part from range(${SOURCE_ROWS})\n`;

/** Where each case's destination lives, and clients to read it with. */
export interface Destinations {
  pg: TestPostgres;
  storage: Storage;
  bigquery: BigQuery;
  bucket: string;
  dataset: string;
}

/** One kill case: a pipeline exporting the source, the kill point, and how to count what the destination holds. */
export interface KillCase {
  /** Pipeline id (one per case, so cases never share a destination). */
  id: string;
  exporter: string;
  killAt: string;
  /** The export block's `kind` and config. */
  kind: string;
  config: Record<string, unknown>;
  /** Puts rows there before the run (what replace must remove, append must keep, upsert must merge). */
  seed?(d: Destinations): Promise<void>;
  /** Rows the destination must hold after the resume. */
  expected: number;
  count(d: Destinations): Promise<number>;
}

/** Upsert needs the key to be unique; append's table has none (its seed ids overlap the source's). */
const seedTable = (withKey: boolean) => `(id bigint${withKey ? ' primary key' : ''}, label text, part bigint)`;
const SEED_ROWS = "(0, 'old', 0), (1, 'old', 1), (2, 'old', 2), (100000, 'old', 0), (100001, 'old', 1)";

async function pgCount(d: Destinations, table: string): Promise<number> {
  const [row] = await d.pg.query<{ n: number }>(`select count(*)::int as n from kill.${table}`);
  return row?.n ?? 0;
}

async function seedPg(d: Destinations, table: string, withKey: boolean): Promise<void> {
  await d.pg.query('create schema if not exists kill');
  await d.pg.query(`create table kill.${table} ${seedTable(withKey)}`);
  await d.pg.query(`insert into kill.${table} values ${SEED_ROWS}`);
}

/** Data rows of every CSV object under `prefix` (each object has a header line). */
async function gcsRows(d: Destinations, prefix: string): Promise<number> {
  const [files] = await d.storage.bucket(d.bucket).getFiles({ prefix });
  let rows = 0;
  for (const file of files) {
    const [content] = await file.download();
    rows +=
      content
        .toString('utf8')
        .split('\n')
        .filter((line) => line !== '').length - 1;
  }
  return rows;
}

async function bqCount(d: Destinations, table: string): Promise<number> {
  const [rows] = await d.bigquery.query(`SELECT count(*) AS n FROM \`${d.dataset}.${table}\``);
  return Number((rows[0] as { n: unknown }).n);
}

function pgCase(mode: 'replace' | 'append' | 'upsert', killAt: string, n: number): KillCase {
  const table = `${mode}_${n}`;
  const expected = { replace: SOURCE_ROWS, append: SOURCE_ROWS + 5, upsert: SOURCE_ROWS + 2 }[mode];
  return {
    id: `pg_${table}`,
    exporter: `postgres ${mode}`,
    killAt,
    kind: 'postgres',
    expected,
    config: { connection: 'pg', schema: 'kill', table, mode, copy_connections: 2, ...(mode === 'upsert' ? { key: ['id'] } : {}) },
    seed: (d) => seedPg(d, table, mode === 'upsert'),
    count: (d) => pgCount(d, table),
  };
}

function gcsCase(mode: 'replace' | 'append', killAt: string, n: number): KillCase {
  const prefix = `kill_${mode}_${n}`;
  const config = mode === 'replace' ? { path: `${prefix}/trips.csv` } : { path: `${prefix}/`, partition_by: ['part'], mode: 'append' };
  return {
    id: `gcs_${mode}_${n}`,
    exporter: `gcs ${mode}`,
    killAt,
    kind: 'gcs',
    expected: SOURCE_ROWS,
    config: { connection: 'gcs', bucket: 'kill-bucket', create_bucket: true, format: 'csv', ...config },
    count: (d) => gcsRows(d, `${prefix}/`),
  };
}

function bqCase(disposition: 'truncate' | 'append', killAt: string, n: number): KillCase {
  const table = `${disposition}_${n}`;
  return {
    id: `bq_${table}`,
    exporter: `bigquery ${disposition}`,
    killAt,
    kind: 'bigquery',
    expected: SOURCE_ROWS,
    config: { connection: 'bq', dataset: 'kill', table, write_disposition: disposition, poll_interval_ms: 50 },
    count: (d) => bqCount(d, table),
  };
}

/** Every exporter, killed at each of its logged points (main/model/kill-point.ts labels). */
export function killCases(): KillCase[] {
  return [
    pgCase('replace', 'postgres.replace.copied', 1),
    pgCase('replace', 'postgres.replace.committed', 2),
    pgCase('append', 'postgres.append.copied', 1),
    pgCase('append', 'postgres.append.committed', 2),
    pgCase('upsert', 'postgres.upsert.copied', 1),
    pgCase('upsert', 'postgres.upsert.committed', 2),
    gcsCase('replace', 'gcs.replace.staged', 1),
    gcsCase('replace', 'gcs.replace.published', 2),
    gcsCase('append', 'gcs.append.published', 1),
    bqCase('truncate', 'bigquery.truncate.job-started', 1),
    bqCase('truncate', 'bigquery.truncate.job-done', 2),
    bqCase('append', 'bigquery.append.job-started', 1),
    bqCase('append', 'bigquery.append.job-done', 2),
  ];
}
