import { useCallback, useEffect, useState } from 'react';
import { useApi } from '../api/ApiContext.tsx';

/** A past console query (main/api/console-history.ts ConsoleQuery). */
export interface ConsoleQuery {
  sql: string;
  at: number;
}

/** The console's past queries, kept by the project (`.pipewright/console-history.json`), newest first. */
export function useConsoleHistory() {
  const api = useApi();
  const [queries, setQueries] = useState<ConsoleQuery[]>([]);
  const [error, setError] = useState<string | null>(null);
  const fail = useCallback((e: unknown) => setError(`History not available: ${e instanceof Error ? e.message : String(e)}`), []);
  useEffect(() => {
    api.call<{ queries: ConsoleQuery[] }>('console.history').then((reply) => setQueries(reply.queries), fail);
  }, [api, fail]);
  /** Puts `sql` first; a failure to save it is said, and the query runs anyway. */
  const remember = useCallback(
    (sql: string) => {
      api.call<{ queries: ConsoleQuery[] }>('console.remember', { sql }).then((reply) => {
        setQueries(reply.queries);
        setError(null);
      }, fail);
    },
    [api, fail],
  );
  return { queries, error, remember };
}
