import type { BlockSchema } from '../../../main/api/design-contract.ts';

export type LineageRole = 'focus' | 'source' | 'use';

/** A column chosen in a preview: its lineage is traced across the pipeline. */
export interface ColumnFocus {
  blockId: string;
  column: string;
}

/** Per block: its part in the focused column's lineage and the columns involved. */
export type LineageMarks = Map<string, { role: LineageRole; columns: string[] }>;

interface GraphBlock {
  id: string;
  type: string;
  upstream: string[];
}

/**
 * The blocks a column comes from (following SQL blocks' lineage upstream, transitively) and the blocks that use it
 * (SQL blocks whose columns read it, transitively, and the exports writing a block that carries it).
 */
export function traceColumn(focus: ColumnFocus, schemas: readonly BlockSchema[], blocks: readonly GraphBlock[]): LineageMarks {
  const byId = new Map(schemas.map((s) => [s.blockId, s]));
  const marks: LineageMarks = new Map([[focus.blockId, { role: 'focus', columns: [focus.column] }]]);
  const mark = (blockId: string, role: LineageRole, column: string): boolean => {
    const current = marks.get(blockId);
    if (current?.columns.some((c) => same(c, column))) return false;
    if (current) current.columns.push(column);
    else marks.set(blockId, { role, columns: [column] });
    return true;
  };
  const up = (blockId: string, column: string) => {
    const entry = byId.get(blockId)?.lineage?.find((l) => same(l.column, column));
    for (const source of entry?.sources ?? []) if (mark(source.block, 'source', source.column)) up(source.block, source.column);
  };
  const down = (blockId: string, column: string) => {
    for (const schema of schemas) {
      for (const entry of schema.lineage ?? []) {
        if (entry.sources.some((s) => s.block === blockId && same(s.column, column)) && mark(schema.blockId, 'use', entry.column))
          down(schema.blockId, entry.column);
      }
    }
    for (const block of blocks) if (block.type === 'export' && block.upstream.includes(blockId)) mark(block.id, 'use', column);
  };
  up(focus.blockId, focus.column);
  down(focus.blockId, focus.column);
  return marks;
}

function same(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
