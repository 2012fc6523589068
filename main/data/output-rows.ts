import type { DuckDBConnection } from '@duckdb/node-api';
import { readFileViews } from './file-views.ts';

/** An output to count: its physical table or view, and the relation a session reads it through. */
export interface CountedOutput {
  physical: string;
  relation: string;
}

/**
 * The rows of `outputs` together. A file view's rows were counted when it was written (counting them again would
 * parse its files); the others are counted in one query. `fileViews` = the workspace's outputs that are file views.
 */
export async function countOutputRows(
  conn: DuckDBConnection,
  outputs: readonly CountedOutput[],
  fileViews: ReadonlySet<string>,
): Promise<number> {
  const views = await readFileViews(
    conn,
    [...new Set(outputs.map((o) => o.physical))].filter((p) => fileViews.has(p)),
  );
  const recorded = outputs.reduce((sum, o) => sum + (views.get(o.physical)?.rows ?? 0), 0);
  const counted = outputs.filter((o) => !views.has(o.physical));
  if (counted.length === 0) return recorded;
  const counts = counted.map((o) => `(SELECT count(*) FROM ${o.relation})`);
  const reader = await conn.runAndReadAll(`SELECT ${counts.join(' + ')}`);
  return recorded + Number(reader.getRows()[0]?.[0] ?? 0);
}
