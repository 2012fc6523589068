import { useEffect, useMemo, useState } from 'react';
import type { SQLNamespace } from '@codemirror/lang-sql';
import { useApi } from '../api/ApiContext.tsx';
import { readPipelineColumns } from '../preview/query-rows.ts';
import { useDesign } from '../design/DesignContext.tsx';

/**
 * Completion schema for a block's SQL: its upstream blocks (readable by their ids) with their columns: the
 * design-time ones (known before any run: bound SQL, sampled file headers, declared schemas), else those of their
 * latest outputs. Upstream blocks with neither still complete by name. Refreshed when `version` changes.
 */
export function useUpstreamSchema(pipelineId: string, upstream: readonly string[], version: string | null): SQLNamespace {
  const api = useApi();
  const { schemas } = useDesign();
  const [stored, setStored] = useState<Map<string, string[]>>(new Map());
  const key = upstream.join('\n');
  useEffect(() => {
    let isCurrent = true;
    readPipelineColumns(api, pipelineId)
      .then((columns) => isCurrent && setStored(columns))
      .catch(() => isCurrent && setStored(new Map())); // no workspace views yet: design-time columns and names still help
    return () => {
      isCurrent = false;
    };
  }, [api, pipelineId, key, version]);
  return useMemo(() => {
    const names = key ? key.split('\n') : [];
    return Object.fromEntries(names.map((n) => [n, schemas.get(n)?.columns?.map((c) => c.name) ?? stored.get(n) ?? []]));
  }, [key, schemas, stored]);
}
