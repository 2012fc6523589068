import { useEffect, useRef, useState, type RefObject } from 'react';
import { useApi } from '../api/ApiContext.tsx';
import type { ChildPage } from '../../../main/api/contract-views.ts';
import { FAILED_STATES } from '../orchestration/children-state.ts';

/** Where a page starts: the first child at or after an index, the ones after / just before an index. */
export type PageAnchor = { from: number } | { after: number } | { before: number };

export const PAGE_SIZE = 50;
/** The last page: the children just before an index no child reaches. */
export const LAST_PAGE: PageAnchor = { before: Number.MAX_SAFE_INTEGER };

/**
 * One page of a fanned-out block's children (`runs.children`), read again whenever `version` changes (the run's
 * counts moved while it runs) at the same place: from the page's first child, so the rows a user reads stay put.
 */
export function useChildPage(runId: string, blockId: string, anchor: PageAnchor, isFailedOnly: boolean, version: string) {
  const api = useApi();
  const [page, setPage] = useState<ChildPage | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    let isCurrent = true;
    const params = {
      runId,
      blockId,
      limit: PAGE_SIZE,
      ...('from' in anchor
        ? { fromIndex: anchor.from }
        : 'after' in anchor
          ? { afterIndex: anchor.after }
          : { beforeIndex: anchor.before }),
      ...(isFailedOnly ? { statuses: [...FAILED_STATES] } : {}),
    };
    api.call('runs.children', params).then(
      (reply) => {
        if (!isCurrent) return;
        setPage(reply);
        setError('');
      },
      (e: unknown) => isCurrent && setError(e instanceof Error ? e.message : String(e)),
    );
    return () => {
      isCurrent = false;
    };
  }, [api, runId, blockId, anchor, isFailedOnly, version]);
  return { page, error };
}

/**
 * Keeps the keyboard in the pager: a page button that the new page disables (Next on the last page) drops focus to
 * the document, so focus moves to the rows instead, where PageUp / PageDown go on.
 */
export function useFocusKeptInPager(page: unknown, rows: RefObject<HTMLElement | null>) {
  const wasInNav = useRef(false);
  useEffect(() => {
    const active = document.activeElement;
    // Chromium may keep focus on the disabled button (keys then do nothing) or drop it to the body.
    const isLost = active === null || active === document.body || (active instanceof HTMLButtonElement && active.disabled);
    if (wasInNav.current && isLost) rows.current?.focus();
  }, [page, rows]);
  return {
    onFocus: () => (wasInNav.current = true),
    onBlur: (e: { relatedTarget: EventTarget | null }) => (wasInNav.current = e.relatedTarget === null),
  };
}
