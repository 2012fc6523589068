import { useEffect, useState } from 'react';
import type { SQLNamespace } from '@codemirror/lang-sql';
import { useApi } from '../api/ApiContext.tsx';
import { readPipelineColumns } from '../preview/query-rows.ts';

const EMPTY: SQLNamespace = {};

/**
 * Completion schema for a block's SQL: its upstream blocks (readable by their ids) with the columns of their
 * latest outputs. Upstream blocks without an output yet still complete by name. Refreshed when `version` changes.
 */
export function useUpstreamSchema(pipelineId: string, upstream: readonly string[], version: string | null): SQLNamespace {
  const api = useApi();
  const [schema, setSchema] = useState<SQLNamespace>(EMPTY);
  const key = upstream.join('\n');
  useEffect(() => {
    let isCurrent = true;
    const names = key ? key.split('\n') : [];
    const fallback = Object.fromEntries(names.map((n) => [n, [] as string[]]));
    readPipelineColumns(api, pipelineId)
      .then((columns) => isCurrent && setSchema(Object.fromEntries(names.map((n) => [n, columns.get(n) ?? []]))))
      .catch(() => isCurrent && setSchema(fallback)); // no workspace views yet: names alone still help
    return () => {
      isCurrent = false;
    };
  }, [api, pipelineId, key, version]);
  return schema;
}
