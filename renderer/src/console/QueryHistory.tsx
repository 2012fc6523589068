import type { ConsoleQuery } from './use-console-history.ts';

/** The console's past queries: each one, pressed (click, Enter or Space), goes back into the editor and runs again. */
export function QueryHistory({ queries, error, onRerun }: { queries: ConsoleQuery[]; error: string | null; onRerun(sql: string): void }) {
  return (
    <section className="console-history" aria-labelledby="console-history-title">
      <h3 id="console-history-title">History</h3>
      {error && <p className="error-text">{error}</p>}
      {queries.length === 0 && !error && <p className="muted">Queries you run are kept here, per project.</p>}
      <ul aria-label="Past queries">
        {queries.map((q) => (
          <li key={`${q.at}:${q.sql}`}>
            <button
              type="button"
              aria-label={`Run again: ${q.sql.replace(/\s+/g, ' ').slice(0, 80)}`}
              title={`${q.sql}\n\nLast run ${new Date(q.at).toLocaleString()}`}
              onClick={() => onRerun(q.sql)}
            >
              {q.sql.replace(/\s+/g, ' ')}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
