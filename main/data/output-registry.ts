import type { DuckDBConnection } from '@duckdb/node-api';
import { UserError } from '../model/errors.ts';
import type { OutputInfo } from '../model/workspace-types.ts';
import { OUTPUT_SCHEMA, outputTableRef, qualifiedName, quoteIdent } from './sql-names.ts';

/** Schema of the workspace's own bookkeeping. */
export const META_SCHEMA = '_pw_meta';
const OUTPUTS = qualifiedName(META_SCHEMA, 'outputs');

/** Creates the workspace schemas and `_pw_meta.outputs` (the latest output per pipeline and block) if missing. */
export async function createRegistry(conn: DuckDBConnection): Promise<void> {
  await conn.run(
    `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(OUTPUT_SCHEMA)}; CREATE SCHEMA IF NOT EXISTS ${quoteIdent(META_SCHEMA)};
     CREATE TABLE IF NOT EXISTS ${OUTPUTS} (pipeline_id VARCHAR NOT NULL, block_id VARCHAR NOT NULL, physical VARCHAR NOT NULL,
       run_id VARCHAR NOT NULL, rows BIGINT NOT NULL, created_at TIMESTAMP NOT NULL, PRIMARY KEY (pipeline_id, block_id))`,
  );
}

/**
 * Records `physical` as the block's latest output and points the view `"<pipeline>"."<block>"` at it.
 * Runs inside the caller's transaction.
 */
export async function recordOutput(
  conn: DuckDBConnection,
  args: { pipelineId: string; blockId: string; runId: string; physical: string; rows: number },
  schemaExists = false,
): Promise<void> {
  if (!schemaExists) await conn.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(args.pipelineId)}`);
  await conn.run(
    `CREATE OR REPLACE VIEW ${qualifiedName(args.pipelineId, args.blockId)} AS SELECT * FROM ${outputTableRef(args.physical)}`,
  );
  await conn.run(`INSERT OR REPLACE INTO ${OUTPUTS} VALUES ($1, $2, $3, $4, $5::BIGINT, epoch_ms($6::BIGINT))`, [
    args.pipelineId,
    args.blockId,
    args.physical,
    args.runId,
    String(args.rows),
    String(Date.now()),
  ]);
}

/**
 * Moves a block's stored outputs (latest and kept) to its new id after a rename, view included; whatever the new id
 * had (a block removed earlier) is forgotten, and the sweep drops its tables. Runs inside the caller's transaction.
 */
export async function renameOutputs(conn: DuckDBConnection, pipelineId: string, from: string, to: string): Promise<void> {
  const published = qualifiedName(META_SCHEMA, 'published');
  await conn.run(`DELETE FROM ${OUTPUTS} WHERE pipeline_id = $1 AND block_id = $2`, [pipelineId, to]);
  await conn.run(`DELETE FROM ${published} WHERE pipeline_id = $1 AND block_id = $2`, [pipelineId, to]);
  await conn.run(`UPDATE ${OUTPUTS} SET block_id = $3 WHERE pipeline_id = $1 AND block_id = $2`, [pipelineId, from, to]);
  await conn.run(`UPDATE ${published} SET block_id = $3 WHERE pipeline_id = $1 AND block_id = $2`, [pipelineId, from, to]);
  const physical = (await readLatestPhysicals(conn, pipelineId)).get(to);
  await conn.run(`DROP VIEW IF EXISTS ${qualifiedName(pipelineId, from)}`);
  await conn.run(`DROP VIEW IF EXISTS ${qualifiedName(pipelineId, to)}`);
  if (physical) await conn.run(`CREATE VIEW ${qualifiedName(pipelineId, to)} AS SELECT * FROM ${outputTableRef(physical)}`);
}

/** Latest outputs of a pipeline's blocks, by block id. */
export async function readLatestOutputs(conn: DuckDBConnection, pipelineId: string): Promise<OutputInfo[]> {
  const reader = await conn.runAndReadAll(
    `SELECT block_id, run_id, rows, epoch_ms(created_at) FROM ${OUTPUTS} WHERE pipeline_id = $1 ORDER BY block_id`,
    [pipelineId],
  );
  return reader.getRowsJS().map(([blockId, runId, rows, createdAt]) => ({
    pipelineId,
    blockId: String(blockId),
    runId: String(runId),
    rows: Number(rows),
    createdAt: Number(createdAt),
  }));
}

/**
 * Block id → physical table of its latest output, for one pipeline: every block's, or only `blockIds`' (a block
 * session reads its few upstream rows, not the pipeline's whole registry, which holds a row per dynamic child).
 */
export async function readLatestPhysicals(
  conn: DuckDBConnection,
  pipelineId: string,
  blockIds?: readonly string[],
): Promise<Map<string, string>> {
  if (blockIds?.length === 0) return new Map();
  const only = blockIds ? ` AND block_id IN (${blockIds.map((_, i) => `$${i + 2}`).join(', ')})` : '';
  const reader = await conn.runAndReadAll(`SELECT block_id, physical FROM ${OUTPUTS} WHERE pipeline_id = $1${only}`, [
    pipelineId,
    ...(blockIds ?? []),
  ]);
  return new Map(reader.getRowsJS().map(([block, physical]) => [String(block), String(physical)]));
}

/**
 * The physical tables the blocks `readable` resolve to for block `blockId` of a run: the run's own outputs
 * (`runOutputs`), else the latest; a readable block with neither is a UserError naming `blockId`.
 */
export async function resolveReadable(
  conn: DuckDBConnection,
  args: { pipelineId: string; blockId: string; runOutputs: ReadonlyMap<string, string>; readable: readonly string[] },
): Promise<Map<string, string>> {
  const latest = await readLatestPhysicals(
    conn,
    args.pipelineId,
    args.readable.filter((id) => !args.runOutputs.has(id)),
  );
  const resolved = new Map<string, string>();
  for (const id of args.readable) {
    const physical = args.runOutputs.get(id) ?? latest.get(id);
    if (!physical)
      throw new UserError(`block ${id} has no stored output yet: run it first, or run this block with its upstream`, {
        block: args.blockId,
      });
    resolved.set(id, physical);
  }
  return resolved;
}

/** Every physical table that is some block's latest output. */
export async function readAllLatestPhysicals(conn: DuckDBConnection): Promise<Set<string>> {
  const reader = await conn.runAndReadAll(`SELECT physical FROM ${OUTPUTS}`);
  return new Set(reader.getRowsJS().map(([physical]) => String(physical)));
}

/** Every table in `_pw_out` the connection can see (committed ones, or its own). */
export async function readOutputTables(conn: DuckDBConnection): Promise<string[]> {
  const reader = await conn.runAndReadAll(
    'SELECT table_name FROM duckdb_tables() WHERE schema_name = $1 AND database_name = current_database()',
    [OUTPUT_SCHEMA],
  );
  return reader.getRowsJS().map(([name]) => String(name));
}
