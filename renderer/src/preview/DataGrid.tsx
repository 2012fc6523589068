import { useEffect, useMemo, useRef, type CSSProperties, type UIEvent } from 'react';
import type { ColumnInfo, ColumnProfile } from '../../../main/model/workspace-types.ts';
import { formatNumberText, numberKind } from './number-format.ts';
import { ProfileRow } from './ProfileRow.tsx';
import { useGridViewport } from './use-grid-viewport.ts';
import { PAGE_ROWS } from './use-preview-pages.ts';
import './grid.css';

const ROW_HEIGHT = 24;
const OVERSCAN = 10;
export const COLUMN_WIDTH = 160;
/** Columns rendered beyond each side of the viewport. */
const COLUMN_OVERSCAN = 2;

export interface SortState {
  column: string;
  descending: boolean;
}

interface Props {
  ariaLabel: string;
  columns: ColumnInfo[];
  totalRows: number;
  pages: ReadonlyMap<number, string[][]>;
  ensureRows(first: number, last: number, visible?: { first: number; last: number }): void;
  sort?: SortState | null;
  onSort?(column: string): void;
  profile?: ColumnProfile[] | null;
  /** Opens one cell in full (double-click or Enter on a cell). */
  onOpenCell?(row: number, column: number): void;
  /** Scrolls so this row is at the top; `seq` makes asking twice for the same row scroll again. */
  jumpTo?: { row: number; seq: number } | null;
}

/** A virtualized grid: only the rows and columns in view exist in the DOM, over any number of rows. */
export function DataGrid({ ariaLabel, columns, totalRows, pages, ensureRows, sort, onSort, profile, onOpenCell, jumpTo }: Props) {
  const scroller = useRef<HTMLDivElement>(null);
  const header = useRef<HTMLDivElement>(null);
  const {
    left,
    width: viewWidth,
    layout,
    measure,
    handleKey,
  } = useGridViewport({ scroller, header, totalRows, rowHeight: ROW_HEIGHT, overscan: OVERSCAN, jumpTo, headerKey: profile });
  const firstColumn = Math.max(0, Math.floor(left / COLUMN_WIDTH) - COLUMN_OVERSCAN);
  const lastColumn = Math.min(columns.length - 1, Math.ceil((left + viewWidth) / COLUMN_WIDTH) + COLUMN_OVERSCAN);
  const visibleColumns = columns.slice(firstColumn, lastColumn + 1);
  const kinds = useMemo(() => columns.map((c) => numberKind(c.type)), [columns]);
  const visibleFirst = Math.floor(layout.firstExact);
  const visibleLast = layout.lastVisible;
  useEffect(() => {
    if (totalRows > 0 && layout.last >= layout.first) ensureRows(layout.first, layout.last, { first: visibleFirst, last: visibleLast });
  }, [totalRows, layout.first, layout.last, visibleFirst, visibleLast, ensureRows]);

  // Row numbers up to 10,500,000 need more room than up to 100.
  const rownumWidth = 24 + 7.5 * String(totalRows).length;
  const width = rownumWidth + columns.length * COLUMN_WIDTH;
  const spacer = firstColumn * COLUMN_WIDTH;
  const rows = [];
  for (let i = layout.first; i <= layout.last; i++) {
    const cells = pages.get(Math.floor(i / PAGE_ROWS))?.[i % PAGE_ROWS];
    rows.push(
      <div key={i} className="grid-row" role="row" aria-rowindex={i + 2} style={{ top: layout.topOf(i), width }}>
        <span className="grid-rownum" role="rowheader">
          {i + 1}
        </span>
        <span className="grid-spacer" style={{ flexBasis: spacer }} />
        {visibleColumns.map((c, k) => {
          const exact = cells?.[firstColumn + k];
          const kind = kinds[firstColumn + k];
          const shown = exact !== undefined && kind ? formatNumberText(exact, kind) : exact;
          return (
            <span
              key={c.name}
              className={`grid-cell${cells ? '' : ' is-loading'}${exact === 'NULL' ? ' is-null' : ''}${kind ? ' is-number' : ''}`}
              role="gridcell"
              aria-colindex={firstColumn + k + 2}
              tabIndex={-1}
              // A rounded float keeps its exact value on hover (grouping alone loses nothing).
              title={kind && kind.kind !== 'integer' && shown !== exact ? exact : undefined}
              onDoubleClick={() => onOpenCell?.(i, firstColumn + k)}
              onKeyDown={(e) => e.key === 'Enter' && onOpenCell?.(i, firstColumn + k)}
            >
              {shown ?? ''}
            </span>
          );
        })}
      </div>,
    );
  }
  return (
    <div
      className="grid-scroller"
      ref={scroller}
      role="grid"
      aria-label={ariaLabel}
      aria-rowcount={totalRows + 1}
      aria-colcount={columns.length + 1}
      tabIndex={0}
      onScroll={(_e: UIEvent) => measure()}
      onKeyDown={(e) => e.target === e.currentTarget && handleKey(e.key) && e.preventDefault()}
      style={{ '--rownum-width': `${rownumWidth}px` } as CSSProperties}
    >
      <div className="grid-head" ref={header} style={{ width }}>
        <div className="grid-header" role="row" aria-rowindex={1}>
          <span className="grid-rownum" role="columnheader">
            #
          </span>
          <span className="grid-spacer" style={{ flexBasis: spacer }} />
          {visibleColumns.map((c, k) => (
            <span
              key={c.name}
              className={`grid-cell${kinds[firstColumn + k] ? ' is-number' : ''}`}
              role="columnheader"
              aria-colindex={firstColumn + k + 2}
              title={`${c.name} ${c.type}`}
              aria-sort={sort?.column === c.name ? (sort.descending ? 'descending' : 'ascending') : 'none'}
            >
              <button type="button" className="col-sort" disabled={!onSort} onClick={() => onSort?.(c.name)}>
                <span className="col-name">{c.name}</span> <span className="col-type">{c.type}</span>
              </button>
            </span>
          ))}
        </div>
        {profile && <ProfileRow profile={profile} columns={visibleColumns} spacer={spacer} />}
      </div>
      <div className="grid-body" style={{ height: layout.bodyHeight, width }}>
        {rows}
      </div>
    </div>
  );
}
