import { formatCount, formatDuration } from '../canvas/format.ts';

/** A block's (or a child's) figures in a run, as the run page's tables show them. */
interface RunRowFigures {
  status: string;
  attempts: number;
  rowsOut: number | null;
  durationMs: number | null;
}

/** The id of a block's (or a child's) row on the run page: focusing a block scrolls its row into view. */
export const rowIdOf = (blockId: string) => `run-block-${blockId}`;

/** A block's row attributes: named by its id, marked while it is the focused block. */
export function runRowProps(blockId: string, focusedBlockId: string) {
  const isFocused = blockId === focusedBlockId;
  return {
    'aria-label': blockId,
    id: rowIdOf(blockId),
    className: isFocused ? 'is-focused' : undefined,
    'aria-current': isFocused ? ('true' as const) : undefined,
  };
}

/** The column headers over RunRowCells. */
export function RunRowHeaders() {
  return (
    <>
      <th scope="col">Status</th>
      <th scope="col">Attempts</th>
      <th scope="col">Rows out</th>
      <th scope="col">Duration</th>
    </>
  );
}

/** The Status, Attempts, Rows out and Duration cells of a block's (or a child's) row. */
export function RunRowCells({ row }: { row: RunRowFigures }) {
  return (
    <>
      <td>
        <span className="run-badge" data-status={row.status}>
          {row.status.replace('_', ' ')}
        </span>
      </td>
      <td>{row.attempts}</td>
      <td>{row.rowsOut === null ? '—' : formatCount(row.rowsOut)}</td>
      <td>{row.durationMs === null ? '—' : formatDuration(row.durationMs)}</td>
    </>
  );
}
