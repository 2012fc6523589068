import { useCallback, useEffect, useState } from 'react';
import { useApi } from '../api/ApiContext.tsx';

/** What `projects.list` answers (main/api/projects-handlers.ts ProjectsList). */
export interface ProjectsList {
  current: string;
  recent: string[];
  canSwitch: boolean;
  why?: string;
  switchError?: string;
}

/** How long a switch may take (closing runs, opening the next workspace) before the page says so. */
const SWITCH_DEADLINE_MS = 60_000;
const POLL_MS = 300;

type SwitchState =
  { status: 'idle' } | { status: 'switching'; dir: string } | { status: 'error'; field: 'open' | 'create'; message: string };

/**
 * The project picker's data and actions. A switch closes this project on the server and opens the next on the same
 * address: the page asks until the server answers for the new project, then reloads on its first pipeline.
 */
export function useProjectSwitch() {
  const api = useApi();
  const [list, setList] = useState<ProjectsList | null>(null);
  const [listError, setListError] = useState<string | null>(null);
  const [state, setState] = useState<SwitchState>({ status: 'idle' });
  useEffect(() => {
    api.call('projects.list').then(setList, (e: unknown) => setListError(messageOf(e)));
  }, [api]);

  const waitFor = useCallback(
    async (dir: string, field: 'open' | 'create') => {
      const deadline = Date.now() + SWITCH_DEADLINE_MS;
      while (Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        // While the server closes one project and opens the next, calls fail: keep asking.
        const now = await api.call('projects.list').catch(() => null);
        if (now?.current === dir) return window.location.assign(window.location.pathname);
        if (now?.switchError) return setState({ status: 'error', field, message: now.switchError });
      }
      setState({ status: 'error', field, message: `${dir} did not open within a minute: see the serve console` });
    },
    [api],
  );
  const switchTo = useCallback(
    async (method: 'projects.open' | 'projects.create', dir: string) => {
      const field = method === 'projects.open' ? 'open' : 'create';
      setState({ status: 'switching', dir });
      try {
        const reply = await api.call(method, { dir });
        await waitFor(reply.dir, field);
      } catch (e) {
        setState({ status: 'error', field, message: messageOf(e) });
      }
    },
    [api, waitFor],
  );
  return {
    list,
    listError,
    state,
    open: (dir: string) => void switchTo('projects.open', dir),
    create: (dir: string) => void switchTo('projects.create', dir),
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
