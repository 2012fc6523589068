import { useEffect, useState } from 'react';
import type { ColumnInfo } from '../../../main/model/workspace-types.ts';
import { decodeFullValue } from './decode-rows.ts';
import type { FetchWindow } from './use-preview-pages.ts';

/** Characters put in the text box; the Copy button still copies the whole value. */
const SHOWN_CHARS = 1_000_000;

interface Props {
  fetchWindow: FetchWindow;
  row: number;
  columnIndex: number;
  column: ColumnInfo;
  onClose(): void;
}

/** One cell's full value, fetched on demand (cells in the grid are clipped). */
export function CellDialog({ fetchWindow, row, columnIndex, column, onClose }: Props) {
  const [value, setValue] = useState<{ text: string } | { error: string } | null>(null);
  useEffect(() => {
    let isCurrent = true;
    fetchWindow(row, 1)
      .then((reply) => isCurrent && setValue({ text: decodeFullValue(reply.ipc, column, columnIndex) }))
      .catch((error: unknown) => isCurrent && setValue({ error: error instanceof Error ? error.message : String(error) }));
    return () => {
      isCurrent = false;
    };
  }, [fetchWindow, row, column, columnIndex]);
  const text = value && 'text' in value ? value.text : null;
  return (
    <div
      className="cell-dialog"
      role="dialog"
      aria-label={`Value of ${column.name} in row ${row + 1}`}
      onKeyDown={(e) => e.key === 'Escape' && onClose()}
    >
      <header>
        <strong>{column.name}</strong>
        <span className="muted">
          {column.type} · row {(row + 1).toLocaleString()}
          {text !== null && ` · ${text.length.toLocaleString()} characters`}
        </span>
        <button type="button" disabled={text === null} onClick={() => text !== null && void navigator.clipboard?.writeText(text)}>
          Copy
        </button>
        <button type="button" onClick={onClose} autoFocus>
          Close
        </button>
      </header>
      {value === null && (
        <p className="muted" role="status">
          Loading the value…
        </p>
      )}
      {value && 'error' in value && (
        <p className="error-text" role="alert">
          {value.error}
        </p>
      )}
      {text !== null && (
        <>
          {text.length > SHOWN_CHARS && (
            <p className="muted">Showing the first {SHOWN_CHARS.toLocaleString()} characters; Copy takes all of them.</p>
          )}
          <textarea readOnly aria-label="Full value" value={text.length > SHOWN_CHARS ? text.slice(0, SHOWN_CHARS) : text} />
        </>
      )}
    </div>
  );
}
