import type { DuckDBConnection } from '@duckdb/node-api';
import { META_SCHEMA } from './output-registry.ts';
import { qualifiedName } from './sql-names.ts';

/**
 * `_pw_meta.published`: every output a run published and the workspace still keeps — the latest of each block and,
 * with `retention.outputs_keep_last` above 1, the ones before it — so a past run's output can still be previewed.
 * A table not listed here and not latest (a failed attempt, a crashed run's) is never mistaken for a kept output.
 */
const PUBLISHED = qualifiedName(META_SCHEMA, 'published');

/** A published output still stored. */
export interface KeptOutput {
  physical: string;
  pipelineId: string;
  blockId: string;
  runId: string;
  rows: number;
  createdAt: number;
}

/** Creates `_pw_meta.published` if missing (after the registry), listing the latest outputs a workspace already has. */
export async function createKeptOutputs(conn: DuckDBConnection): Promise<void> {
  await conn.run(
    `CREATE TABLE IF NOT EXISTS ${PUBLISHED} (physical VARCHAR PRIMARY KEY, pipeline_id VARCHAR NOT NULL, block_id VARCHAR NOT NULL,
       run_id VARCHAR NOT NULL, rows BIGINT NOT NULL, created_at TIMESTAMP NOT NULL);
     INSERT OR IGNORE INTO ${PUBLISHED} SELECT physical, pipeline_id, block_id, run_id, rows, created_at FROM ${qualifiedName(META_SCHEMA, 'outputs')}`,
  );
}

/** Records a published output (inside the caller's transaction). */
export async function recordPublished(
  conn: DuckDBConnection,
  args: { pipelineId: string; blockId: string; runId: string; physical: string; rows: number },
): Promise<void> {
  await conn.run(`INSERT OR REPLACE INTO ${PUBLISHED} VALUES ($1, $2, $3, $4, $5::BIGINT, epoch_ms($6::BIGINT))`, [
    args.physical,
    args.pipelineId,
    args.blockId,
    args.runId,
    String(args.rows),
    String(Date.now()),
  ]);
}

/** Forgets a published output whose table is dropped. */
export async function forgetPublished(conn: DuckDBConnection, physical: string): Promise<void> {
  await conn.run(`DELETE FROM ${PUBLISHED} WHERE physical = $1`, [physical]);
}

/** The kept outputs of one block, newest first. */
export async function readKeptOutputs(conn: DuckDBConnection, pipelineId: string, blockId: string): Promise<KeptOutput[]> {
  return toKept(
    await conn.runAndReadAll(`${SELECT} WHERE pipeline_id = $1 AND block_id = $2 ORDER BY created_at DESC, physical DESC`, [
      pipelineId,
      blockId,
    ]),
  );
}

/** The outputs a run published that are still kept (one per block). */
export async function readRunOutputs(conn: DuckDBConnection, pipelineId: string, runId: string): Promise<KeptOutput[]> {
  return toKept(await conn.runAndReadAll(`${SELECT} WHERE pipeline_id = $1 AND run_id = $2 ORDER BY block_id`, [pipelineId, runId]));
}

/** Ids of a pipeline's blocks that have some kept output. */
export async function readPublishedBlocks(conn: DuckDBConnection, pipelineId: string): Promise<Set<string>> {
  const reader = await conn.runAndReadAll(`SELECT DISTINCT block_id FROM ${PUBLISHED} WHERE pipeline_id = $1`, [pipelineId]);
  return new Set(reader.getRowsJS().map(([blockId]) => String(blockId)));
}

/** Every kept output's table. */
export async function readAllKept(conn: DuckDBConnection): Promise<Set<string>> {
  const reader = await conn.runAndReadAll(`SELECT physical FROM ${PUBLISHED}`);
  return new Set(reader.getRowsJS().map(([physical]) => String(physical)));
}

const SELECT = `SELECT physical, pipeline_id, block_id, run_id, rows, epoch_ms(created_at) FROM ${PUBLISHED}`;

function toKept(reader: { getRowsJS(): unknown[][] }): KeptOutput[] {
  return reader.getRowsJS().map(([physical, pipelineId, blockId, runId, rows, createdAt]) => ({
    physical: String(physical),
    pipelineId: String(pipelineId),
    blockId: String(blockId),
    runId: String(runId),
    rows: Number(rows),
    createdAt: Number(createdAt),
  }));
}
