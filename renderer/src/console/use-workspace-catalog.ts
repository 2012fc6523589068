import { useCallback, useEffect, useMemo, useState } from 'react';
import type { SQLNamespace } from '@codemirror/lang-sql';
import { useApi } from '../api/ApiContext.tsx';
import { queryRows } from '../preview/query-rows.ts';

/** A workspace relation a query can read: `<pipeline>.<block>` (a block's latest output). */
export interface WorkspaceRelation {
  schema: string;
  name: string;
  columns: string[];
}

/** Columns of every workspace view outside Pipewright's own schemas (`_pw_*`: physical outputs and metadata). */
const CATALOG_SQL = `select table_schema, table_name, column_name from information_schema.columns
where table_catalog = current_database() and table_schema not like '\\_pw\\_%' escape '\\'
order by table_schema, table_name, ordinal_position`;

/** The workspace's relations and a completion schema over them; `refresh` re-reads after runs. */
export function useWorkspaceCatalog() {
  const api = useApi();
  const [relations, setRelations] = useState<WorkspaceRelation[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const refresh = useCallback(() => {
    queryRows(api, CATALOG_SQL)
      .then((rows) => {
        const byName = new Map<string, WorkspaceRelation>();
        for (const row of rows) {
          const key = `${String(row.table_schema)}.${String(row.table_name)}`;
          const relation = byName.get(key) ?? { schema: String(row.table_schema), name: String(row.table_name), columns: [] };
          relation.columns.push(String(row.column_name));
          byName.set(key, relation);
        }
        setRelations([...byName.values()]);
        setError(null);
      })
      .catch((e: unknown) => setError(e instanceof Error ? e.message : String(e)));
  }, [api]);
  useEffect(() => {
    refresh();
    return api.on('runs.event', (event) => {
      if (event.type === 'run.finished') refresh();
    });
  }, [api, refresh]);
  const schema = useMemo(() => toNamespace(relations ?? []), [relations]);
  return { relations, error, refresh, schema };
}

function toNamespace(relations: WorkspaceRelation[]): SQLNamespace {
  const namespace: Record<string, Record<string, string[]>> = {};
  for (const r of relations) (namespace[r.schema] ??= {})[r.name] = r.columns;
  return namespace;
}
