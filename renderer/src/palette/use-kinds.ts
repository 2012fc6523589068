import { useEffect, useState } from 'react';
import { useApi } from '../api/ApiContext.tsx';
import type { KindInfo } from '../editing/block-factory.ts';

/** The registered block kinds (once per page: they do not change while the app runs). */
export function useKinds(): KindInfo[] {
  const api = useApi();
  const [kinds, setKinds] = useState<KindInfo[]>([]);
  useEffect(() => {
    api
      .call('kinds.list')
      .then((reply) => setKinds(reply.kinds))
      .catch((error: unknown) => console.error('kinds.list failed', error));
  }, [api]);
  return kinds;
}
