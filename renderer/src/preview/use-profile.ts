import { useEffect, useState } from 'react';
import type { ColumnProfile } from '../../../main/model/workspace-types.ts';
import { useApi } from '../api/ApiContext.tsx';

export type ProfileState =
  { status: 'off' } | { status: 'loading' } | { status: 'error'; message: string } | { status: 'ready'; columns: ColumnProfile[] };

/** The output's per-column profile (computed in DuckDB), fetched while `isOn`, again after each new run. */
export function useProfile(pipelineId: string, blockId: string, version: string | null, isOn: boolean): ProfileState {
  const api = useApi();
  const [state, setState] = useState<ProfileState>({ status: 'off' });
  useEffect(() => {
    if (!isOn) return setState({ status: 'off' });
    let isCurrent = true;
    setState({ status: 'loading' });
    api
      .call('outputs.profile', { pipelineId, blockId })
      .then((reply) => isCurrent && setState({ status: 'ready', columns: reply.columns }))
      .catch(
        (error: unknown) => isCurrent && setState({ status: 'error', message: error instanceof Error ? error.message : String(error) }),
      );
    return () => {
      isCurrent = false;
    };
  }, [api, pipelineId, blockId, version, isOn]);
  return state;
}
