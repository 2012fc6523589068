import { useEffect, useState } from 'react';
import { useApi } from '../api/ApiContext.tsx';

/** Runs of the pipeline (any trigger) that wait behind max_concurrent_runs, oldest first (from `runs.queue`). */
export function useQueuedRuns(pipelineId: string | null): string[] {
  const api = useApi();
  const [queued, setQueued] = useState<string[]>([]);
  useEffect(() => {
    setQueued([]);
    if (!pipelineId) return;
    const stop = api.on('runs.queue', (event) => {
      if (event.pipelineId !== pipelineId) return;
      setQueued((ids) =>
        event.queued ? [...ids.filter((id) => id !== event.runId), event.runId] : ids.filter((id) => id !== event.runId),
      );
    });
    // Missed events while the stream was down: a queued run shows itself again when it starts.
    const stopRestored = api.on('connection.restored', () => setQueued([]));
    return () => {
      stop();
      stopRestored();
    };
  }, [api, pipelineId]);
  return queued;
}
