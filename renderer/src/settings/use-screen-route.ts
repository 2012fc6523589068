import { useCallback, useEffect, useState } from 'react';

/** The screens beside the pipeline workbench, each at its own hash: `#/connections`, `#/settings`, `#/runs[/<runId>]`. */
export type Screen = 'workbench' | 'connections' | 'settings' | 'history';

export interface Route {
  screen: Screen;
  /** The run `#/runs/<runId>` opens (links from alerts point there). */
  runId?: string;
}

/** The route a URL hash names; anything else is the workbench. */
export function routeOf(hash: string): Route {
  if (hash === '#/connections') return { screen: 'connections' };
  if (hash === '#/settings') return { screen: 'settings' };
  const run = /^#\/runs(?:\/([^/]+))?$/.exec(hash);
  if (run) return run[1] ? { screen: 'history', runId: decodeURIComponent(run[1]) } : { screen: 'history' };
  return { screen: 'workbench' };
}

function hashOf(route: Route): string {
  if (route.screen === 'workbench') return '';
  if (route.screen === 'history') return route.runId ? `#/runs/${encodeURIComponent(route.runId)}` : '#/runs';
  return `#/${route.screen}`;
}

/** The current route, kept in the URL hash so Back and links work; going somewhere rewrites the hash. */
export function useScreenRoute(): [Route, (screen: Screen, runId?: string) => void] {
  const [route, setRoute] = useState<Route>(() => routeOf(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(routeOf(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  const go = useCallback((screen: Screen, runId?: string) => {
    const next: Route = runId ? { screen, runId } : { screen };
    const hash = hashOf(next);
    if (window.location.hash !== hash) window.history.pushState(null, '', hash || window.location.pathname + window.location.search);
    setRoute(next);
  }, []);
  return [route, go];
}
