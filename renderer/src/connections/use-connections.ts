import { useCallback, useEffect, useState } from 'react';
import { useApi } from '../api/ApiContext.tsx';
import type { ConnectionView } from '../../../main/api/contract-views.ts';

export type { ConnectionView, CredentialsView, FieldView } from '../../../main/api/contract-views.ts';

/** `connections.list`, reloadable after a save or delete. */
export function useConnections() {
  const api = useApi();
  const [connections, setConnections] = useState<ConnectionView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = useCallback(async () => {
    try {
      setConnections((await api.call<{ connections: ConnectionView[] }>('connections.list')).connections);
      setError(null);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  }, [api]);
  useEffect(() => void reload(), [reload]);
  return { connections, error, reload };
}
