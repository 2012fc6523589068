import { useEffect, useState, type UIEvent } from 'react';
import type { ColumnInfo } from '../../../main/data/workspace-types.ts';
import { formatCount } from '../canvas/format.ts';
import { PAGE_ROWS, usePreviewPages } from './use-preview-pages.ts';

const ROW_HEIGHT = 24;
const OVERSCAN = 10;
const COLUMN_WIDTH = 150;

interface Props {
  pipelineId: string;
  blockId: string;
  version: string | null;
}

/** A virtualized grid over all rows of a block's output: only the visible rows exist in the DOM. */
export function PreviewGrid({ pipelineId, blockId, version }: Props) {
  const { state, ensureRows } = usePreviewPages(pipelineId, blockId, version);
  const [viewport, setViewport] = useState({ top: 0, height: 400 });
  const first = Math.max(0, Math.floor(viewport.top / ROW_HEIGHT) - OVERSCAN);
  const last = Math.floor((viewport.top + viewport.height) / ROW_HEIGHT) + OVERSCAN;
  const totalRows = state.status === 'ready' ? state.totalRows : 0;
  useEffect(() => {
    if (state.status === 'ready' && totalRows > 0) ensureRows(first, Math.min(last, totalRows - 1));
  }, [state.status, totalRows, first, last, ensureRows]);

  if (state.status === 'loading') return <p className="muted" role="status">Loading the preview…</p>;
  if (state.status === 'error') return <p className="error-text" role="alert">{state.message}</p>;
  const onScroll = (event: UIEvent<HTMLDivElement>) => setViewport({ top: event.currentTarget.scrollTop, height: event.currentTarget.clientHeight });
  const width = state.columns.length * COLUMN_WIDTH + 64;
  const rows = [];
  for (let i = first; i <= Math.min(last, totalRows - 1); i++) {
    const cells = state.pages.get(Math.floor(i / PAGE_ROWS))?.[i % PAGE_ROWS];
    rows.push(<GridRow key={i} index={i} cells={cells} columns={state.columns} />);
  }
  return (
    <div className="preview">
      <p className="preview-count" role="status" aria-label="Row count">
        {formatCount(totalRows)} rows · {state.columns.length} columns
      </p>
      <div className="grid-scroller" role="grid" aria-label={`Preview of ${blockId}`} aria-rowcount={totalRows + 1} aria-colcount={state.columns.length + 1} tabIndex={0} onScroll={onScroll}>
        <div className="grid-header" role="row" aria-rowindex={1} style={{ width }}>
          <span className="grid-rownum" role="columnheader">#</span>
          {state.columns.map((c) => (
            <span key={c.name} className="grid-cell" role="columnheader" title={`${c.name} ${c.type}`}>
              <span className="col-name">{c.name}</span> <span className="col-type">{c.type}</span>
            </span>
          ))}
        </div>
        <div className="grid-body" style={{ height: totalRows * ROW_HEIGHT, width }}>
          {rows}
        </div>
      </div>
    </div>
  );
}

function GridRow({ index, cells, columns }: { index: number; cells: string[] | undefined; columns: ColumnInfo[] }) {
  return (
    <div className="grid-row" role="row" aria-rowindex={index + 2} style={{ top: index * ROW_HEIGHT }}>
      <span className="grid-rownum" role="rowheader">{index + 1}</span>
      {columns.map((c, i) => (
        <span key={c.name} className={`grid-cell${cells ? '' : ' is-loading'}`} role="gridcell">
          {cells?.[i] ?? ''}
        </span>
      ))}
    </div>
  );
}
