import { useCallback, useEffect, useRef, useState } from 'react';
import type { ColumnInfo } from '../../../main/model/workspace-types.ts';
import { ApiError } from '../api/api-client.ts';
import type { PreviewReply } from '../api/views.ts';
import { decodeRows } from './decode-rows.ts';

export const PAGE_ROWS = 200;
/** Pages kept in memory (fewer for wide outputs: cells are what cost); the ones farthest from the newest go first. */
const MAX_PAGES = 40;
const MAX_CACHED_CELLS = 1_000_000;
/** Scroll events come in bursts: wait this long for the viewport to settle before asking for pages. */
const SETTLE_MS = 16;

/** Asks the main side for `limit` rows from `offset` (a block's output, or an ad-hoc query). */
export type FetchWindow = (offset: number, limit: number) => Promise<PreviewReply>;

export type PreviewState =
  | { status: 'loading' }
  | { status: 'error'; message: string; line?: number; column?: number }
  | { status: 'ready'; columns: ColumnInfo[]; totalRows: number; pages: ReadonlyMap<number, string[][]> };

/**
 * Rows fetched page by page as the grid asks (`ensureRows`), never all at once. A new `fetchWindow` (another
 * sort, filter or query) or `version` (a new run) drops the cache; replies for an older one are ignored.
 */
export function usePreviewPages(fetchWindow: FetchWindow, version: string | null) {
  const [state, setState] = useState<PreviewState>({ status: 'loading' });
  const requested = useRef(new Set<number>());
  const generation = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const fetchPage = useCallback(
    async (page: number, gen: number) => {
      requested.current.add(page);
      try {
        const reply = await fetchWindow(page * PAGE_ROWS, PAGE_ROWS);
        if (gen !== generation.current) return;
        const rows = decodeRows(reply.ipc, reply.columns);
        setState((s) => {
          const pages = new Map(s.status === 'ready' ? s.pages : []);
          pages.set(page, rows);
          const maxPages = Math.max(4, Math.min(MAX_PAGES, Math.floor(MAX_CACHED_CELLS / (PAGE_ROWS * Math.max(1, reply.columns.length)))));
          evictFarPages(pages, page, requested.current, maxPages);
          return { status: 'ready', columns: reply.columns, totalRows: reply.totalRows, pages };
        });
      } catch (error) {
        if (gen !== generation.current) return;
        requested.current.delete(page);
        setState(errorState(error));
      }
    },
    [fetchWindow],
  );

  useEffect(() => {
    const gen = ++generation.current;
    requested.current = new Set();
    setState({ status: 'loading' });
    void fetchPage(0, gen);
  }, [fetchPage, version]);
  useEffect(() => () => clearTimeout(timer.current), []);

  /**
   * Asks for rows `first..last` (overscan included); the pages under `visible` come first, the overscan's only
   * once those have arrived: two scans at once on a shared machine would delay the rows the user looks at.
   */
  const ensureRows = useCallback(
    (first: number, last: number, visible: { first: number; last: number } = { first, last }) => {
      clearTimeout(timer.current);
      const gen = generation.current;
      const missing = (from: number, to: number) => {
        const pages: number[] = [];
        for (let page = Math.floor(from / PAGE_ROWS); page <= Math.floor(to / PAGE_ROWS); page++)
          if (!requested.current.has(page)) pages.push(page);
        return pages;
      };
      if (missing(first, last).length === 0) return;
      timer.current = setTimeout(() => {
        const now = missing(visible.first, visible.last);
        void Promise.all(now.map((page) => fetchPage(page, gen))).then(() => {
          if (gen === generation.current) for (const page of missing(first, last)) void fetchPage(page, gen);
        });
      }, SETTLE_MS);
    },
    [fetchPage],
  );
  return { state, ensureRows };
}

function evictFarPages(pages: Map<number, string[][]>, near: number, requested: Set<number>, maxPages: number): void {
  if (pages.size <= maxPages) return;
  const farthest = [...pages.keys()].sort((a, b) => Math.abs(b - near) - Math.abs(a - near));
  for (const page of farthest.slice(0, pages.size - maxPages)) {
    pages.delete(page);
    requested.delete(page);
  }
}

/** A failed window as state; SQL errors keep their line and column (in the filter or query text). */
function errorState(error: unknown): PreviewState {
  const place = error instanceof ApiError ? error.shape.place : undefined;
  return {
    status: 'error',
    message: error instanceof Error ? error.message : String(error),
    ...(place?.line !== undefined ? { line: place.line } : {}),
    ...(place?.column !== undefined ? { column: place.column } : {}),
  };
}
