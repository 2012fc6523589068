import { useCallback, useEffect, useRef, useState } from 'react';
import type { RunStatus } from '../../../main/model/run-events.ts';
import { useApi } from '../api/ApiContext.tsx';

/** Runs that finished before their `runs.start` answered (a block that fails at once), kept briefly by id. */
const REMEMBERED = 20;

const SAYS: Record<RunStatus, string> = {
  running: 'Running…',
  succeeded: 'Run succeeded',
  failed: 'Run failed',
  cancelled: 'Run cancelled',
  interrupted: 'Run interrupted',
};

/**
 * The code toolbar's line about the block run it started: "Running…" until that run finishes, then how it ended.
 * The run may finish before `runs.start` answers; its `run.finished` is remembered so the line is never stuck.
 */
export function useRunMessage() {
  const api = useApi();
  const [message, setMessage] = useState<string | null>(null);
  const watched = useRef<string | null>(null);
  const finished = useRef(new Map<string, RunStatus>());
  useEffect(
    () =>
      api.on('runs.event', (event) => {
        if (event.type !== 'run.finished') return;
        if (event.runId === watched.current) return setMessage(SAYS[event.status] ?? `Run ${event.status}`);
        finished.current.set(event.runId, event.status);
        if (finished.current.size > REMEMBERED) finished.current.delete(finished.current.keys().next().value ?? '');
      }),
    [api],
  );
  /** The run `runId` started: say so, or how it already ended. */
  const started = useCallback((runId: string) => {
    watched.current = runId;
    const status = finished.current.get(runId);
    setMessage(status ? (SAYS[status] ?? `Run ${status}`) : 'Running…');
  }, []);
  return { message, setMessage, started };
}
