import { useCallback, useEffect, useRef, useState } from 'react';
import type { ColumnInfo } from '../../../main/data/workspace-types.ts';
import { useApi } from '../api/ApiContext.tsx';
import type { PreviewReply } from '../api/views.ts';
import { decodeRows } from './decode-rows.ts';

export const PAGE_ROWS = 200;

export type PreviewState =
  | { status: 'loading' }
  | { status: 'error'; message: string }
  | { status: 'ready'; columns: ColumnInfo[]; totalRows: number; pages: ReadonlyMap<number, string[][]> };

/**
 * A block output's rows, fetched page by page as the grid asks (`ensureRows`), never all at once.
 * `version` changes (a new run) drop the cache and start again.
 */
export function usePreviewPages(pipelineId: string, blockId: string, version: string | null) {
  const api = useApi();
  const [state, setState] = useState<PreviewState>({ status: 'loading' });
  const requested = useRef(new Set<number>());
  const fetchPage = useCallback(
    async (page: number) => {
      requested.current.add(page);
      try {
        const reply = await api.call<PreviewReply>('outputs.preview', { pipelineId, blockId, window: { offset: page * PAGE_ROWS, limit: PAGE_ROWS } });
        const rows = decodeRows(reply.ipc, reply.columns);
        setState((s) => {
          const pages = new Map(s.status === 'ready' ? s.pages : []);
          pages.set(page, rows);
          return { status: 'ready', columns: reply.columns, totalRows: reply.totalRows, pages };
        });
      } catch (error) {
        requested.current.delete(page);
        setState({ status: 'error', message: error instanceof Error ? error.message : String(error) });
      }
    },
    [api, pipelineId, blockId],
  );
  useEffect(() => {
    requested.current = new Set();
    setState({ status: 'loading' });
    void fetchPage(0);
  }, [fetchPage, version]);
  const ensureRows = useCallback(
    (first: number, last: number) => {
      for (let page = Math.floor(first / PAGE_ROWS); page <= Math.floor(last / PAGE_ROWS); page++) {
        if (!requested.current.has(page)) void fetchPage(page);
      }
    },
    [fetchPage],
  );
  return { state, ensureRows };
}
