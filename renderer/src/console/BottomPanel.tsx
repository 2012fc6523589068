import { useState, type ReactNode } from 'react';
import { SqlConsole } from './SqlConsole.tsx';

type Tab = 'log' | 'console';

/** The panel under the canvas: the run log, or the SQL console (kept mounted so its query survives tab switches). */
export function BottomPanel({ log }: { log: ReactNode }) {
  const [tab, setTab] = useState<Tab>('log');
  const [hasOpenedConsole, setOpenedConsole] = useState(false);
  const select = (next: Tab) => {
    setTab(next);
    if (next === 'console') setOpenedConsole(true);
  };
  return (
    <section className={`bottom-panel${tab === 'console' ? ' is-console' : ''}`} aria-label="Bottom panel">
      <div className="bottom-tabs" role="tablist" aria-label="Bottom panel views">
        <button type="button" role="tab" className="tab" aria-selected={tab === 'log'} onClick={() => select('log')}>Log</button>
        <button type="button" role="tab" className="tab" aria-selected={tab === 'console'} onClick={() => select('console')}>SQL console</button>
      </div>
      <div className="bottom-body" hidden={tab !== 'log'}>{log}</div>
      {hasOpenedConsole && (
        <div className="bottom-body" role="tabpanel" aria-label="SQL console" hidden={tab !== 'console'}>
          <SqlConsole />
        </div>
      )}
    </section>
  );
}
