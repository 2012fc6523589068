import { useId, useRef, useState, type KeyboardEvent } from 'react';
import { formatCount } from '../canvas/format.ts';
import type { ChildCounts, ChildRunRow } from '../../../main/api/contract-views.ts';
import { FAILED_STATES } from '../orchestration/children-state.ts';
import { LAST_PAGE, useChildPage, useFocusKeptInPager, type PageAnchor } from './use-child-page.ts';
import { RunRowCells, RunRowHeaders, runRowProps } from './RunRowCells.tsx';

const FIRST_PAGE: PageAnchor = { from: 0 };

/**
 * A fanned-out block's children, one page of 50 at a time (never all of them): first / previous / next / last page
 * (also PageUp, PageDown, Home and End on the table), "Failed only", and "Go to child #". Each child's logs open
 * through `onShowLogs`.
 */
export function ChildrenPager({
  runId,
  blockId,
  counts,
  focusedBlockId,
  onShowLogs,
}: {
  runId: string;
  blockId: string;
  counts: ChildCounts;
  focusedBlockId: string;
  onShowLogs: (childId: string) => void;
}) {
  const ids = useId();
  const [anchor, setAnchor] = useState<PageAnchor>(FIRST_PAGE);
  const [isFailedOnly, setFailedOnly] = useState(false);
  const [goTo, setGoTo] = useState('');
  const { page, error } = useChildPage(runId, blockId, anchor, isFailedOnly, JSON.stringify(counts));
  const rows = useRef<HTMLDivElement>(null);
  const navFocus = useFocusKeptInPager(page, rows);
  const failed = FAILED_STATES.reduce((sum, s) => sum + (counts.byStatus[s] ?? 0), 0);
  const first = page?.children[0]?.index;
  const last = page?.children.at(-1)?.index;
  const go = {
    first: () => setAnchor(FIRST_PAGE),
    previous: () => first !== undefined && setAnchor({ before: first }),
    next: () => last !== undefined && setAnchor({ after: last }),
    last: () => setAnchor(LAST_PAGE),
  };
  const onKeyDown = (e: KeyboardEvent) => {
    const action = { PageDown: page?.hasAfter && go.next, PageUp: page?.hasBefore && go.previous, Home: go.first, End: go.last }[e.key];
    if (!action) return;
    e.preventDefault();
    action();
  };
  const what = isFailedOnly ? 'failed children' : 'children';
  const shown = first === undefined || last === undefined ? 'none' : `#${formatCount(first)}–#${formatCount(last)}`;
  return (
    <section className="children-pager" aria-labelledby={`${ids}-title`} id={`children-of-${blockId}`}>
      <div className="children-head">
        <h3 id={`${ids}-title`}>Children of {blockId}</h3>
        <span className="muted">{describeCounts(counts)}</span>
        <label className="children-filter">
          <input
            type="checkbox"
            checked={isFailedOnly}
            onChange={(e) => {
              setFailedOnly(e.target.checked);
              setAnchor(FIRST_PAGE);
            }}
          />
          Failed only ({formatCount(failed)})
        </label>
        <form
          className="children-goto"
          onSubmit={(e) => {
            e.preventDefault();
            const index = Number(goTo);
            if (goTo.trim() !== '' && Number.isInteger(index) && index >= 0) setAnchor({ from: index });
          }}
        >
          <label htmlFor={`${ids}-goto`}>Go to child #</label>
          <input
            id={`${ids}-goto`}
            type="number"
            min={0}
            max={Math.max(0, counts.total - 1)}
            value={goTo}
            onChange={(e) => setGoTo(e.target.value)}
          />
          <button type="submit">Go</button>
        </form>
      </div>
      {error && (
        <p className="form-error" role="alert">
          Cannot read the children of {blockId}: {error}
        </p>
      )}
      <nav className="children-pages" aria-label={`Pages of ${blockId}'s children`} onFocus={navFocus.onFocus} onBlur={navFocus.onBlur}>
        <button type="button" onClick={go.first} disabled={!page?.hasBefore} aria-label="First page of children">
          « First
        </button>
        <button type="button" onClick={go.previous} disabled={!page?.hasBefore} aria-label="Previous page of children">
          ‹ Previous
        </button>
        <span role="status" className="children-position">
          {shown} of {formatCount(page?.total ?? 0)} {what}
        </span>
        <button type="button" onClick={go.next} disabled={!page?.hasAfter} aria-label="Next page of children">
          Next ›
        </button>
        <button type="button" onClick={go.last} disabled={!page?.hasAfter} aria-label="Last page of children">
          Last »
        </button>
      </nav>
      {/* Focusable, so PageUp / PageDown page through the children from the keyboard. */}
      <div
        ref={rows}
        className="children-rows"
        role="group"
        tabIndex={0}
        onKeyDown={onKeyDown}
        aria-label={`Children of ${blockId}, ${shown}`}
        aria-busy={page === null}
      >
        {page && page.children.length > 0 && (
          <ChildTable blockId={blockId} rows={page.children} focusedBlockId={focusedBlockId} onShowLogs={onShowLogs} />
        )}
        {page && page.children.length === 0 && (
          <p className="muted pad">
            {page.total === 0 ? `No ${what}.` : `No ${what} at or after #${'from' in anchor ? formatCount(anchor.from) : '—'}.`}{' '}
            {page.hasBefore && (
              <button type="button" className="link-button" onClick={go.first}>
                Back to the first page
              </button>
            )}
          </p>
        )}
      </div>
    </section>
  );
}

function ChildTable({
  blockId,
  rows,
  focusedBlockId,
  onShowLogs,
}: {
  blockId: string;
  rows: ChildRunRow[];
  focusedBlockId: string;
  onShowLogs: (childId: string) => void;
}) {
  return (
    <table className="history-table children-table" aria-label={`Children of ${blockId} on this page`}>
      <thead>
        <tr>
          <th scope="col">Child</th>
          <RunRowHeaders />
          <th scope="col">Logs</th>
          <th scope="col">Error</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((child) => (
          <tr key={child.blockId} {...runRowProps(child.blockId, focusedBlockId)}>
            <th scope="row">#{formatCount(child.index)}</th>
            <RunRowCells row={child} />
            <td>
              <button
                type="button"
                className="link-button"
                onClick={() => onShowLogs(child.blockId)}
                aria-label={`Logs of ${child.blockId}`}
              >
                Logs
              </button>
            </td>
            <td className="block-error">{child.error?.message ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The order counts are told in: outcomes first, then what is still under way. */
const STATUS_ORDER = [
  'succeeded',
  'failed',
  'upstream_failed',
  'cancelled',
  'interrupted',
  'skipped',
  'running',
  'queued',
  'pending',
] as const;

/** `100,000 children: 98,969 succeeded, 1,031 failed`. */
export function describeCounts(counts: ChildCounts): string {
  const parts = STATUS_ORDER.filter((status) => (counts.byStatus[status] ?? 0) > 0).map(
    (status) => `${formatCount(counts.byStatus[status] ?? 0)} ${status.replace('_', ' ')}`,
  );
  return `${formatCount(counts.total)} children: ${parts.join(', ')}`;
}
