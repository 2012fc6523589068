import { useCallback, useEffect, useState } from 'react';

/**
 * The screens beside the pipeline workbench, each at its own hash: `#/pipelines/<id>` (the workbench on a pipeline),
 * `#/connections`, `#/settings`, `#/runs[/<runId>]`.
 */
export type Screen = 'workbench' | 'connections' | 'settings' | 'history';

export interface Route {
  screen: Screen;
  /** The run `#/runs/<runId>` opens (links from alerts point there). */
  runId?: string;
  /** The pipeline `#/pipelines/<id>` shows on the workbench. */
  pipelineId?: string;
}

/** Where to go: a screen, and the run or pipeline it opens; `replace` rewrites the current history entry instead of adding one. */
export type Navigate = (screen: Screen, target?: { runId?: string; pipelineId?: string; replace?: boolean }) => void;

/** The route a URL hash names; anything else is the workbench. */
export function routeOf(hash: string): Route {
  if (hash === '#/connections') return { screen: 'connections' };
  if (hash === '#/settings') return { screen: 'settings' };
  const run = /^#\/runs(?:\/([^/]+))?$/.exec(hash);
  if (run) return run[1] ? { screen: 'history', runId: decodeURIComponent(run[1]) } : { screen: 'history' };
  const pipeline = /^#\/pipelines\/([^/]+)$/.exec(hash);
  if (pipeline?.[1]) return { screen: 'workbench', pipelineId: decodeURIComponent(pipeline[1]) };
  return { screen: 'workbench' };
}

/** The hash of a route (`routeOf`'s inverse). */
export function hashOf(route: Route): string {
  if (route.screen === 'workbench') return route.pipelineId ? `#/pipelines/${encodeURIComponent(route.pipelineId)}` : '';
  if (route.screen === 'history') return route.runId ? `#/runs/${encodeURIComponent(route.runId)}` : '#/runs';
  return `#/${route.screen}`;
}

/** The current route, kept in the URL hash so reload, Back, Forward and links work; going somewhere rewrites the hash. */
export function useScreenRoute(): [Route, Navigate] {
  const [route, setRoute] = useState<Route>(() => routeOf(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(routeOf(window.location.hash));
    // pushState fires neither event; Back and Forward fire popstate (and hashchange between hashes).
    window.addEventListener('hashchange', onChange);
    window.addEventListener('popstate', onChange);
    return () => {
      window.removeEventListener('hashchange', onChange);
      window.removeEventListener('popstate', onChange);
    };
  }, []);
  const go = useCallback<Navigate>((screen, target = {}) => {
    const next: Route = {
      screen,
      ...(target.runId ? { runId: target.runId } : {}),
      ...(target.pipelineId ? { pipelineId: target.pipelineId } : {}),
    };
    const hash = hashOf(next);
    if (window.location.hash !== hash) {
      const url = hash || window.location.pathname + window.location.search;
      if (target.replace) window.history.replaceState(null, '', url);
      else window.history.pushState(null, '', url);
    }
    setRoute(next);
  }, []);
  return [route, go];
}
