import { useCallback, useEffect, useRef, useState } from 'react';
import { useApi } from '../api/ApiContext.tsx';
import { formatCount } from '../canvas/format.ts';
import { CodeEditor, type EditorProblem } from '../editor/CodeEditor.tsx';
import type { MountedEditor } from '../editor/codemirror-setup.ts';
import { CellDialog } from '../preview/CellDialog.tsx';
import { DataGrid } from '../preview/DataGrid.tsx';
import { quoteIdent } from '../preview/sql-text.ts';
import { usePreviewPages, type FetchWindow } from '../preview/use-preview-pages.ts';
import { QueryHistory } from './QueryHistory.tsx';
import { useConsoleHistory } from './use-console-history.ts';
import { useWorkspaceCatalog } from './use-workspace-catalog.ts';
import './console.css';

/** Ad-hoc SQL over the workspace (every block's latest output as `<pipeline>.<block>`), results in the data grid, past queries kept. */
export function SqlConsole() {
  const api = useApi();
  const catalog = useWorkspaceCatalog();
  const history = useConsoleHistory();
  const [text, setText] = useState('');
  const [query, setQuery] = useState<{ sql: string; seq: number } | null>(null);
  const [problems, setProblems] = useState<EditorProblem[]>([]);
  const editor = useRef<MountedEditor | null>(null);
  const { remember } = history;
  const runSql = useCallback(
    (sql: string) => {
      setProblems([]);
      if (!sql.trim()) return;
      setQuery((q) => ({ sql, seq: (q?.seq ?? 0) + 1 }));
      remember(sql.trim());
    },
    [remember],
  );
  const run = useCallback(() => runSql(text), [runSql, text]);
  const rerun = useCallback(
    (sql: string) => {
      setText(sql);
      runSql(sql);
    },
    [runSql],
  );
  const onMounted = useCallback((mounted: MountedEditor | null) => (editor.current = mounted), []);

  return (
    <div className="sql-console">
      <aside className="console-tables" aria-label="Workspace tables">
        <div className="console-catalog">
          <h3>Workspace</h3>
          {catalog.error && <p className="error-text">{catalog.error}</p>}
          {catalog.relations?.length === 0 && <p className="muted">No outputs yet: run a pipeline, then query its blocks here.</p>}
          <ul>
            {catalog.relations?.map((r) => (
              <li key={`${r.schema}.${r.name}`}>
                <button
                  type="button"
                  title={r.columns.join(', ')}
                  onClick={() => editor.current?.insertAtCursor(`${quoteIdent(r.schema)}.${quoteIdent(r.name)}`)}
                >
                  {r.schema}.{r.name}
                </button>
              </li>
            ))}
          </ul>
        </div>
        <QueryHistory queries={history.queries} error={history.error} onRerun={rerun} />
      </aside>
      <div className="console-main">
        <div className="console-editor">
          <CodeEditor
            text={text}
            language="sql"
            ariaLabel="SQL console query"
            schema={catalog.schema}
            onChange={setText}
            onRun={run}
            problems={problems}
            placeholder="select * from my_pipeline.my_block — Ctrl+Enter runs"
            onMounted={onMounted}
          />
          <button type="button" className="console-run" onClick={run} title="Ctrl/Cmd+Enter">
            Run query
          </button>
        </div>
        {query ? (
          <QueryResult key={query.seq} api={api} sql={query.sql} onProblems={setProblems} />
        ) : (
          <p className="muted pad">Write a query and press Ctrl+Enter.</p>
        )}
      </div>
    </div>
  );
}

/** One run of a query: its rows in the grid, or its error (also marked at its line in the editor). */
function QueryResult({ api, sql, onProblems }: { api: ReturnType<typeof useApi>; sql: string; onProblems(p: EditorProblem[]): void }) {
  const fetchWindow = useCallback<FetchWindow>(
    (offset, limit) => api.call('workspace.query', { sql, window: { offset, limit } }),
    [api, sql],
  );
  const { state, ensureRows } = usePreviewPages(fetchWindow, null);
  const [openCell, setOpenCell] = useState<{ row: number; column: number } | null>(null);
  const line = state.status === 'error' ? state.line : undefined;
  const errorColumn = state.status === 'error' ? state.column : undefined;
  const message = state.status === 'error' ? state.message : undefined;
  useEffect(() => {
    if (line !== undefined && message !== undefined)
      onProblems([{ line, ...(errorColumn !== undefined ? { column: errorColumn } : {}), message }]);
  }, [line, errorColumn, message, onProblems]);
  if (state.status === 'loading')
    return (
      <p className="muted pad" role="status">
        Running the query…
      </p>
    );
  if (state.status === 'error')
    return (
      <p className="preview-error" role="alert" aria-label="Query error">
        {state.message}
      </p>
    );
  const column = openCell ? state.columns[openCell.column] : undefined;
  return (
    <div className="preview">
      <p className="preview-count console-count" role="status" aria-label="Query row count">
        {formatCount(state.totalRows)} {state.totalRows === 1 ? 'row' : 'rows'} · {state.columns.length}{' '}
        {state.columns.length === 1 ? 'column' : 'columns'}
      </p>
      <DataGrid
        ariaLabel="Query result"
        columns={state.columns}
        totalRows={state.totalRows}
        pages={state.pages}
        ensureRows={ensureRows}
        onOpenCell={(row, c) => setOpenCell({ row, column: c })}
      />
      {openCell && column && (
        <CellDialog
          fetchWindow={fetchWindow}
          row={openCell.row}
          columnIndex={openCell.column}
          column={column}
          onClose={() => setOpenCell(null)}
        />
      )}
    </div>
  );
}
