import type { BlockKind } from '../model/block-kind.ts';
import { sqlTransform } from './sql-transform.ts';

/**
 * A DuckDB query that reads no upstream block: generated lists (a dynamic block's items from variables), `range()`,
 * `VALUES`, or DuckDB's own readers. Runs exactly like the SQL transform.
 */
export const sqlSource: BlockKind<Parameters<typeof sqlTransform.run>[1]> = {
  ...sqlTransform,
  type: 'source',
  kind: 'sql',
  title: 'SQL query (no upstream)',
};
