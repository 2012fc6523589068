import { useEffect, useState } from 'react';
import type { PipewrightBridge } from '../../preload/index.ts';

interface AppInfo {
  version: string;
  node: string;
  electron: string | null;
}

type InfoState = { status: 'loading' } | { status: 'ready'; info: AppInfo } | { status: 'unavailable'; reason: string };

const EXAMPLE_RUN = 'npm run -s pipewright -- run yellow_taxi_etl --project examples/nyc-taxi';

/** The placeholder page until the canvas lands: what Pipewright is, how to run pipelines today, and the versions. */
export function App() {
  const info = useAppInfo();
  return (
    <>
      <header className="masthead">
        <h1>Pipewright</h1>
        <p className="tagline">Local data pipelines: YAML for the graph, SQL and TypeScript for the blocks, DuckDB underneath.</p>
      </header>
      <main className="content">
        <section aria-labelledby="canvas-heading">
          <h2 id="canvas-heading">The canvas arrives in a later release</h2>
          <p>
            This window will hold the pipeline canvas, data previews and run history. Until then, every
            pipeline runs headless from the command line, and every run is recorded.
          </p>
        </section>
        <section aria-labelledby="cli-heading">
          <h2 id="cli-heading">Run a pipeline from the CLI</h2>
          <p>From the Pipewright folder, run the NYC taxi example:</p>
          <pre>
            <code>{EXAMPLE_RUN}</code>
          </pre>
          <p>
            Then list its runs with <code>npm run -s pipewright -- history --project examples/nyc-taxi</code>, or
            see every command with <code>npm run -s pipewright -- help</code>.
          </p>
        </section>
      </main>
      <footer className="about" aria-labelledby="about-heading">
        <h2 id="about-heading">About this build</h2>
        <AppInfoView state={info} />
      </footer>
    </>
  );
}

function AppInfoView({ state }: { state: InfoState }) {
  if (state.status === 'loading') return <p aria-live="polite">Reading version information…</p>;
  if (state.status === 'unavailable') return <p>{state.reason}</p>;
  return (
    <dl className="versions">
      <dt>Pipewright</dt>
      <dd>{state.info.version}</dd>
      <dt>Electron</dt>
      <dd>{state.info.electron ?? 'not running in Electron'}</dd>
      <dt>Node</dt>
      <dd>{state.info.node}</dd>
    </dl>
  );
}

/** Asks main for `app.info` through the preload bridge; outside the app (a plain browser) there is no bridge. */
function useAppInfo(): InfoState {
  const [state, setState] = useState<InfoState>({ status: 'loading' });
  useEffect(() => {
    const bridge = (window as { pipewright?: PipewrightBridge }).pipewright;
    if (!bridge) {
      setState({ status: 'unavailable', reason: 'Version information appears when this page runs inside the Pipewright app.' });
      return;
    }
    let isCurrent = true;
    bridge
      .call('app.info')
      .then((reply) => {
        if (!isCurrent) return;
        if (reply.ok) setState({ status: 'ready', info: reply.result as AppInfo });
        else setState({ status: 'unavailable', reason: `Version information is unavailable: ${reply.error.message}` });
      })
      .catch((error: unknown) => {
        if (isCurrent) setState({ status: 'unavailable', reason: `Version information is unavailable: ${error instanceof Error ? error.message : String(error)}` });
      });
    return () => {
      isCurrent = false;
    };
  }, []);
  return state;
}
