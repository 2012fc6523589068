import { useEffect, useRef } from 'react';
import type { LogLine } from '../api/views.ts';

/** The current (or last) run's log, newest at the bottom, following new lines while scrolled to the end. */
export function LogPanel({ logs, runId }: { logs: LogLine[]; runId: string | null }) {
  const list = useRef<HTMLOListElement>(null);
  useEffect(() => {
    const el = list.current;
    if (el && el.scrollHeight - el.scrollTop - el.clientHeight < 48) el.scrollTop = el.scrollHeight;
  }, [logs.length]);
  return (
    <section className="log-panel" aria-label="Run log">
      <header className="panel-head">
        <h2>Log</h2>
        <span className="muted">{runId ?? 'no run yet'}</span>
      </header>
      <ol className="log-lines" ref={list} aria-live="polite">
        {logs.length === 0 && <li className="muted">Run the pipeline to see its log here.</li>}
        {logs.map((line) => (
          <li key={line.id} className={`log-line level-${line.level}`}>
            <time>{new Date(line.at).toLocaleTimeString()}</time>
            <span className="log-level">{line.level}</span>
            <span className="log-block">{line.blockId ?? 'run'}</span>
            <span className="log-message">{line.message}</span>
          </li>
        ))}
      </ol>
    </section>
  );
}
