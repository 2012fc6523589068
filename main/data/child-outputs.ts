import type { DuckDBConnection } from '@duckdb/node-api';
import { childId, childrenOutputId, parseChildId } from '../model/child-ids.ts';
import { META_SCHEMA } from './output-registry.ts';
import { outputTableRef, qualifiedName, quoteLiteral } from './sql-names.ts';

/**
 * `_pw_meta.children`: which children of a fan-out have their output in its shared table (`<block>[]`), and how many
 * rows each wrote. A child that wrote no rows is still listed, so it reads as an empty output, not a missing one.
 * Rows of tables no longer kept are deleted by the workspace's sweep; until then no lookup reaches them.
 */
const CHILDREN = qualifiedName(META_SCHEMA, 'children');
const OUTPUTS = qualifiedName(META_SCHEMA, 'outputs');
const PUBLISHED = qualifiedName(META_SCHEMA, 'published');

/** The hidden column of a shared table: the child's item number. */
export const CHILD_COLUMN = '_pw_child';

/** Values per INSERT when recording children: keeps each statement's text small. */
const RECORD_BATCH = 1000;

/** A child's output, wherever it is stored. */
export interface ChildOutput {
  /** The table holding it: the child's own, or its fan-out's shared one. */
  physical: string;
  /** SQL relation of exactly the child's rows and columns. */
  relation: string;
  runId: string;
  rows: number;
  createdAt: number;
}

/** Creates `_pw_meta.children` if missing (after the registry). No key: children are appended in bulk, never updated. */
export async function createChildrenTable(conn: DuckDBConnection): Promise<void> {
  await conn.run(`CREATE TABLE IF NOT EXISTS ${CHILDREN} (physical VARCHAR NOT NULL, child INTEGER NOT NULL, rows BIGINT NOT NULL)`);
}

/** The rows of child `index` in the shared table `physical`, without the hidden column. */
export function childRelation(physical: string, index: number): string {
  return `(SELECT * EXCLUDE (${CHILD_COLUMN}) FROM ${outputTableRef(physical)} WHERE ${CHILD_COLUMN} = ${index})`;
}

/** Records children whose output is in the shared table `physical` (inside the caller's transaction, or alone). */
export async function recordChildren(
  conn: DuckDBConnection,
  physical: string,
  children: readonly { index: number; rows: number }[],
): Promise<void> {
  const table = quoteLiteral(physical);
  for (let start = 0; start < children.length; start += RECORD_BATCH) {
    const values = children.slice(start, start + RECORD_BATCH).map((c) => `(${table}, ${c.index}, ${c.rows})`);
    await conn.run(`INSERT INTO ${CHILDREN} VALUES ${values.join(', ')}`);
  }
}

/**
 * The stored output of a child id (`each[7]`): the newer of its own table (a child whose columns did not fit the
 * shared table) and its rows in the latest shared table of its fan-out, or with `runId`, those that run kept.
 */
export async function readChildOutput(
  conn: DuckDBConnection,
  pipelineId: string,
  id: string,
  runId?: string,
): Promise<ChildOutput | undefined> {
  const child = parseChildId(id);
  if (!child) return undefined;
  // Own table rows are in the registry under the child's id; shared ones under `<block>[]`, listed in CHILDREN.
  const [table, ofRun] = runId === undefined ? [OUTPUTS, ''] : [PUBLISHED, ' AND o.run_id = $5'];
  const reader = await conn.runAndReadAll(
    `SELECT o.physical, o.run_id, coalesce(c.rows, o.rows), epoch_ms(o.created_at), c.child IS NOT NULL
       FROM ${table} AS o LEFT JOIN ${CHILDREN} AS c ON c.physical = o.physical AND c.child = $3
      WHERE o.pipeline_id = $1${ofRun} AND (o.block_id = $2 OR (o.block_id = $4 AND c.child IS NOT NULL))
      ORDER BY o.created_at DESC LIMIT 1`,
    [pipelineId, id, child.index, childrenOutputId(child.blockId), ...(runId === undefined ? [] : [runId])],
  );
  const row = reader.getRowsJS()[0];
  if (!row) return undefined;
  const [physical, run, rows, createdAt, isShared] = row;
  return {
    physical: String(physical),
    relation: isShared ? childRelation(String(physical), child.index) : outputTableRef(String(physical)),
    runId: String(run),
    rows: Number(rows),
    createdAt: Number(createdAt),
  };
}

/** The children a run kept in shared tables, as `each[7]` ids with their rows (one row each, in item order). */
export async function readRunChildren(
  conn: DuckDBConnection,
  pipelineId: string,
  runId: string,
): Promise<{ physical: string; blockId: string; rows: number; createdAt: number }[]> {
  const reader = await conn.runAndReadAll(
    `SELECT p.physical, p.block_id, c.child, c.rows, epoch_ms(p.created_at)
       FROM ${PUBLISHED} AS p JOIN ${CHILDREN} AS c ON c.physical = p.physical
      WHERE p.pipeline_id = $1 AND p.run_id = $2 AND p.block_id LIKE '%[]' ORDER BY p.block_id, c.child`,
    [pipelineId, runId],
  );
  return reader.getRowsJS().map(([physical, sharedId, index, rows, createdAt]) => ({
    physical: String(physical),
    blockId: childId(String(sharedId).slice(0, -2), Number(index)),
    rows: Number(rows),
    createdAt: Number(createdAt),
  }));
}

/** Forgets children of shared tables that are no longer kept (their tables are dropped, or about to be). */
export async function forgetUnkeptChildren(conn: DuckDBConnection): Promise<void> {
  await conn.run(`DELETE FROM ${CHILDREN} WHERE physical NOT IN (SELECT physical FROM ${PUBLISHED})`);
}
