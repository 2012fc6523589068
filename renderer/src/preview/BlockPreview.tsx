import { useCallback, useState } from 'react';
import { useApi } from '../api/ApiContext.tsx';
import { formatAmount } from '../canvas/format.ts';
import { QuickChart } from '../chart/QuickChart.tsx';
import { CellDialog } from './CellDialog.tsx';
import { DataGrid, type SortState } from './DataGrid.tsx';
import { blockRelation } from './sql-text.ts';
import { useProfile } from './use-profile.ts';
import { LinesSkeleton } from '../layout/Skeleton.tsx';
import { usePreviewPages, type FetchWindow } from './use-preview-pages.ts';
import { LineagePicker } from '../design/LineagePicker.tsx';

// The workspace's answer for a block that never produced an output (main/data/workspace.ts): a state, not an error.
const NO_OUTPUT = /has no stored output yet/;

interface Props {
  pipelineId: string;
  blockId: string;
  /** Changes with each run: the preview reloads. */
  version: string | null;
  /** Said instead of the workspace's "no stored output yet" (e.g. the block is still to run in this run). */
  noOutputNote?: string;
  /** A past run's output (kept by retention.outputs_keep_last) instead of the latest; profile and chart read the latest, so they are left out. */
  runId?: string;
}

/** A block's output over all rows: sort and filter pushed down to DuckDB, a profile row, a quick chart, go to row. */
export function BlockPreview({ pipelineId, blockId, version, noOutputNote, runId }: Props) {
  const api = useApi();
  const [sort, setSort] = useState<SortState | null>(null);
  const [filterText, setFilterText] = useState('');
  const [filter, setFilter] = useState('');
  const [isProfileOn, setProfileOn] = useState(false);
  const [isChartOn, setChartOn] = useState(false);
  const [jumpTo, setJumpTo] = useState<{ row: number; seq: number } | null>(null);
  const [openCell, setOpenCell] = useState<{ row: number; column: number } | null>(null);

  const fetchWindow = useCallback<FetchWindow>(
    (offset, limit) => {
      const window = {
        offset,
        limit,
        ...(sort ? { orderBy: [{ column: sort.column, descending: sort.descending }] } : {}),
        ...(filter ? { filter } : {}),
      };
      return api.call('outputs.preview', { pipelineId, blockId, window, ...(runId ? { runId } : {}) });
    },
    [api, pipelineId, blockId, sort, filter, runId],
  );
  const { state, ensureRows } = usePreviewPages(fetchWindow, version);
  const profile = useProfile(pipelineId, blockId, version, isProfileOn);
  // A new order or filter shows other rows: start from the top, not at the row a "Go to row" left.
  const toTop = useCallback(() => setJumpTo((j) => ({ row: 0, seq: (j?.seq ?? 0) + 1 })), []);
  // Ascending, then descending, then the stored order again.
  const cycleSort = useCallback(
    (column: string) => {
      setSort((s) => (s?.column !== column ? { column, descending: false } : s.descending ? null : { column, descending: true }));
      toTop();
    },
    [toTop],
  );

  const columns = state.status === 'ready' ? state.columns : [];
  const totalRows = state.status === 'ready' ? state.totalRows : 0;
  const openColumn = openCell ? columns[openCell.column] : undefined;
  return (
    <div className="preview">
      <div className="preview-bar">
        <p className="preview-count" role="status" aria-label="Row count">
          {state.status === 'ready'
            ? `${formatAmount(totalRows, 'rows')} · ${columns.length} column${columns.length === 1 ? '' : 's'}`
            : state.status === 'loading'
              ? 'Loading…'
              : ''}
        </p>
        <input
          className="filter-input"
          aria-label="Filter rows (SQL WHERE)"
          placeholder="Filter: a SQL condition, e.g. amount > 100 — Enter applies"
          value={filterText}
          onChange={(e) => setFilterText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key !== 'Enter') return;
            setFilter(filterText.trim());
            toTop();
          }}
        />
        {!runId && (
          <button type="button" aria-pressed={isProfileOn} onClick={() => setProfileOn((on) => !on)}>
            Profile
          </button>
        )}
        {!runId && (
          <button type="button" aria-pressed={isChartOn} onClick={() => setChartOn((on) => !on)}>
            Chart
          </button>
        )}
        {state.status === 'ready' && !runId && <LineagePicker blockId={blockId} columns={columns} />}
        <GoToRow totalRows={totalRows} onGo={(row) => setJumpTo((j) => ({ row, seq: (j?.seq ?? 0) + 1 }))} />
      </div>
      {state.status === 'error' && !filter && NO_OUTPUT.test(state.message) && (
        <p className="muted pad" role="status" aria-label="No output">
          {noOutputNote ?? state.message}
        </p>
      )}
      {state.status === 'error' && (filter || !NO_OUTPUT.test(state.message)) && (
        <p className="preview-error" role="alert">
          {filter ? `The filter failed: ${state.message}` : state.message}
        </p>
      )}
      {profile.status === 'error' && (
        <p className="preview-error" role="alert">
          The profile failed: {profile.message}
        </p>
      )}
      {profile.status === 'loading' && (
        <p className="muted pad" role="status">
          Profiling the columns…
        </p>
      )}
      {state.status === 'loading' && <LinesSkeleton label="Loading the preview" lines={8} />}
      {state.status === 'ready' && (
        <div className="preview-body">
          <DataGrid
            ariaLabel={`Preview of ${blockId}`}
            columns={columns}
            totalRows={totalRows}
            pages={state.pages}
            ensureRows={ensureRows}
            sort={sort}
            onSort={cycleSort}
            profile={profile.status === 'ready' ? profile.columns : null}
            jumpTo={jumpTo}
            onOpenCell={(row, column) => setOpenCell({ row, column })}
          />
          {isChartOn && <QuickChart relation={blockRelation(pipelineId, blockId)} columns={columns} filter={filter} version={version} />}
        </div>
      )}
      {openCell && openColumn && (
        <CellDialog
          fetchWindow={fetchWindow}
          row={openCell.row}
          columnIndex={openCell.column}
          column={openColumn}
          onClose={() => setOpenCell(null)}
        />
      )}
    </div>
  );
}

/** "Go to row": a 1-based row number; Enter scrolls there. */
export function GoToRow({ totalRows, onGo }: { totalRows: number; onGo(row: number): void }) {
  const [text, setText] = useState('');
  return (
    <input
      className="row-input"
      type="number"
      min={1}
      max={Math.max(1, totalRows)}
      aria-label="Go to row"
      placeholder="Go to row"
      value={text}
      onChange={(e) => setText(e.target.value)}
      onKeyDown={(e) => {
        const row = Number(text);
        if (e.key === 'Enter' && Number.isInteger(row) && row >= 1) onGo(Math.min(row, Math.max(1, totalRows)) - 1);
      }}
    />
  );
}
