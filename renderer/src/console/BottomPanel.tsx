import { useState, type ReactNode } from 'react';
import { CONSOLE_PANEL, LOG_PANEL } from '../layout/panels.ts';
import { ResizeHandle } from '../layout/ResizeHandle.tsx';
import { usePanelSize } from '../layout/use-panel-size.ts';
import { SqlConsole } from './SqlConsole.tsx';

type Tab = 'log' | 'console';

/** The panel under the canvas: the run log, or the SQL console (kept mounted so its query survives tab switches). */
export function BottomPanel({ log }: { log: ReactNode }) {
  const [tab, setTab] = useState<Tab>('log');
  const [hasOpenedConsole, setOpenedConsole] = useState(false);
  // The log and the console keep their own heights: the console needs room for its editor and grid.
  const [logHeight, setLogHeight] = usePanelSize('bottom-log', LOG_PANEL);
  const [consoleHeight, setConsoleHeight] = usePanelSize('bottom-console', CONSOLE_PANEL);
  const [height, setHeight, limits] =
    tab === 'console' ? [consoleHeight, setConsoleHeight, CONSOLE_PANEL] : [logHeight, setLogHeight, LOG_PANEL];
  const select = (next: Tab) => {
    setTab(next);
    if (next === 'console') setOpenedConsole(true);
  };
  return (
    <section
      className={`bottom-panel${tab === 'console' ? ' is-console' : ''}`}
      aria-label="Bottom panel"
      style={{ flex: `0 1 ${height}px`, minHeight: limits.min }}
    >
      <ResizeHandle label="Resize the bottom panel" orientation="horizontal" size={height} {...limits} isPanelAfter onResize={setHeight} />
      <div className="bottom-tabs" role="tablist" aria-label="Bottom panel views">
        <button type="button" role="tab" className="tab" aria-selected={tab === 'log'} onClick={() => select('log')}>
          Log
        </button>
        <button type="button" role="tab" className="tab" aria-selected={tab === 'console'} onClick={() => select('console')}>
          SQL console
        </button>
      </div>
      <div className="bottom-body" hidden={tab !== 'log'}>
        {log}
      </div>
      {hasOpenedConsole && (
        <div className="bottom-body" role="tabpanel" aria-label="SQL console" hidden={tab !== 'console'}>
          <SqlConsole />
        </div>
      )}
    </section>
  );
}
