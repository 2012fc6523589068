import { useEffect, useState } from 'react';
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
