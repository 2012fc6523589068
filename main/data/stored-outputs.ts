import type { DuckDBConnection } from '@duckdb/node-api';
import { OUTPUT_SCHEMA, outputTableRef, qualifiedName, quoteLiteral } from './sql-names.ts';
import { META_SCHEMA } from './output-registry.ts';
import { forgetPublished } from './kept-outputs.ts';
import { dropOutput, linkedBytes, readOutputViews } from './file-views.ts';

/** One physical output table of the workspace, as retention sees it. */
export interface StoredOutput {
  physical: string;
  /** `<pipeline>__<block>`, the prefix of the block's table names; the physical name for a table of unknown origin. */
  blockKey: string;
  /** Set when `_pw_meta.outputs` records the table as a block's latest output. */
  latestOf?: { pipelineId: string; blockId: string; runId: string };
  /** When it was published (ms since the epoch); else when its run started, or 0 when not even that is known. */
  createdAt: number;
  /** Approximate: whole storage blocks the table occupies. */
  bytes: number;
  /** A run in flight reads or wrote it: never dropped. */
  isHeld: boolean;
}

/**
 * Bytes per value of a segment not yet checkpointed to a storage block (a fresh output lives in the WAL and memory):
 * a rough width by type, so a size budget sees new outputs too.
 */
const SEGMENT_WIDTH = `CASE WHEN segment_type = 'VALIDITY' THEN 0.125 WHEN segment_type = 'VARCHAR' THEN 16 ELSE 8 END`;

/** Every output in `_pw_out` (tables, and file views with their linked files) with its size and, for latest outputs, its block. */
export async function listStoredOutputs(conn: DuckDBConnection, fileViewsDir: string): Promise<Omit<StoredOutput, 'isHeld'>[]> {
  const registry = await conn.runAndReadAll(
    `SELECT physical, pipeline_id, block_id, run_id, epoch_ms(created_at) FROM ${qualifiedName(META_SCHEMA, 'outputs')}`,
  );
  const latest = new Map(
    registry
      .getRowsJS()
      .map(([physical, pipelineId, blockId, runId, createdAt]) => [
        String(physical),
        { latestOf: { pipelineId: String(pipelineId), blockId: String(blockId), runId: String(runId) }, createdAt: Number(createdAt) },
      ]),
  );
  const blockSize = Number((await conn.runAndReadAll('SELECT block_size FROM pragma_database_size()')).getRowsJS()[0]?.[0] ?? 262_144);
  const tables = await conn.runAndReadAll(
    'SELECT table_name FROM duckdb_tables() WHERE schema_name = $1 AND database_name = current_database()',
    [OUTPUT_SCHEMA],
  );
  const views = new Set(await readOutputViews(conn));
  const outputs: Omit<StoredOutput, 'isHeld'>[] = [];
  for (const physical of [...tables.getRowsJS().map(([name]) => String(name)), ...views]) {
    const bytes = views.has(physical) ? await linkedBytes(fileViewsDir, physical) : await tableBytes(conn, physical, blockSize);
    const known = latest.get(physical);
    if (known) {
      const { pipelineId, blockId } = known.latestOf;
      outputs.push({ physical, blockKey: `${pipelineId}__${blockId}`, createdAt: known.createdAt, bytes, latestOf: known.latestOf });
    } else {
      outputs.push({ physical, bytes, ...originOf(physical) });
    }
  }
  return outputs;
}

/** Approximate bytes of an output table: whole storage blocks, plus what is not checkpointed yet. */
async function tableBytes(conn: DuckDBConnection, physical: string, blockSize: number): Promise<number> {
  const size = await conn.runAndReadAll(
    `SELECT count(DISTINCT block_id) FILTER (WHERE persistent AND block_id >= 0),
            coalesce(sum(count * ${SEGMENT_WIDTH}) FILTER (WHERE NOT persistent OR block_id < 0), 0)
       FROM pragma_storage_info(${quoteLiteral(outputTableRef(physical))})`,
  );
  const [blocks, unwritten] = size.getRowsJS()[0] ?? [0, 0];
  return Number(blocks) * blockSize + Math.round(Number(unwritten));
}

/** Drops an output (table, or file view and its links), and when it is a block's latest output, its registry row and the block's view. */
export async function dropStoredOutput(
  conn: DuckDBConnection,
  output: StoredOutput,
  fileViewsDir: string,
  isFileView: boolean,
): Promise<void> {
  if (output.latestOf) {
    const { pipelineId, blockId } = output.latestOf;
    await conn.run(`DELETE FROM ${qualifiedName(META_SCHEMA, 'outputs')} WHERE pipeline_id = $1 AND block_id = $2 AND physical = $3`, [
      pipelineId,
      blockId,
      output.physical,
    ]);
    await conn.run(`DROP VIEW IF EXISTS ${qualifiedName(pipelineId, blockId)}`);
  }
  await forgetPublished(conn, output.physical);
  await dropOutput(conn, fileViewsDir, output.physical, isFileView);
}

/** Tables are named `<pipeline>__<block>__<run id>_<attempt>` (main/data/workspace.ts); run ids start with their time. */
function originOf(physical: string): { blockKey: string; createdAt: number } {
  const match = /^(.+)__r(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})_[0-9a-f]+_\d+$/.exec(physical);
  if (!match) return { blockKey: physical, createdAt: 0 };
  const [, blockKey = physical, y, mo, d, h, mi, se] = match;
  return { blockKey, createdAt: Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(se)) };
}
