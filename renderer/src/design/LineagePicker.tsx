import type { ColumnInfo } from '../../../main/model/workspace-types.ts';
import { useDesign } from './DesignContext.tsx';

/**
 * Picks one of the preview's columns to trace: the canvas then marks the blocks it comes from and the blocks that
 * use it; a line under the preview's bar says which. It sits in the bar so the grid keeps its rows.
 */
export function LineagePicker({ blockId, columns }: { blockId: string; columns: ColumnInfo[] }) {
  const { focus, setFocus, marks } = useDesign();
  const current = focus?.blockId === blockId ? focus.column : '';
  const sources = [...marks].filter(([, m]) => m.role === 'source').map(([id, m]) => `${id}.${m.columns.join(`, ${id}.`)}`);
  const uses = [...marks].filter(([, m]) => m.role === 'use').map(([id]) => id);
  return (
    <div className="lineage-bar">
      <select
        aria-label="Trace a column's lineage"
        value={current}
        onChange={(e) => setFocus(e.target.value ? { blockId, column: e.target.value } : null)}
      >
        <option value="">Lineage…</option>
        {columns.map((c) => (
          <option key={c.name} value={c.name}>
            {c.name}
          </option>
        ))}
      </select>
      {current && (
        <span className="muted lineage-status" role="status" aria-label="Column lineage">
          {current} ← {sources.length ? sources.join('; ') : 'no upstream column'} · used by{' '}
          {uses.length ? uses.join(', ') : 'nothing downstream'}
        </span>
      )}
    </div>
  );
}
