import { useCallback, useEffect, useState } from 'react';
import type { SchedulesStatus } from '../../../main/api/contract-views.ts';
import { useApi } from '../api/ApiContext.tsx';
import { messageOf } from '../use-project.ts';

/** The project's active schedules and their pause, kept current across windows (`schedules.changed`) and trigger edits. */
export function useSchedules() {
  const api = useApi();
  const [status, setStatus] = useState<SchedulesStatus | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const load = () => api.call('schedules.status').then(setStatus, (e: unknown) => setError(messageOf(e)));
    void load();
    const stops = [
      api.on('schedules.changed', setStatus),
      // An edited pipeline.yaml may add, remove or disable a schedule.
      api.on('pipelines.changed', () => void load()),
      api.on('connection.restored', () => void load()),
    ];
    return () => stops.forEach((stop) => stop());
  }, [api]);
  const setPaused = useCallback(
    async (isPaused: boolean) => {
      setError(null);
      try {
        setStatus(await api.call('schedules.setPaused', { isPaused }));
      } catch (e) {
        setError(messageOf(e));
      }
    },
    [api],
  );
  return { status, error, setPaused };
}
