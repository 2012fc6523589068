import { useEffect, useId, useState } from 'react';
import { useApi } from '../api/ApiContext.tsx';
import type { LogRow } from '../../../main/api/contract-views.ts';

/** The logs section's element id, for scrolling to it. */
export const RUN_LOGS_ID = 'run-logs';

/** The run's log lines (`runs.logs`), optionally of one block (`blockId`, '' for all; the page holds it, so the graph can set it). */
export function RunLogs({
  runId,
  blockIds,
  blockId,
  onBlockChange,
  offersAll = true,
}: {
  runId: string;
  blockIds: string[];
  blockId: string;
  onBlockChange: (blockId: string) => void;
  /** False where the logs belong to one block only (a fan-out child): the selector then has no "all". */
  offersAll?: boolean;
}) {
  const api = useApi();
  const ids = useId();
  const [logs, setLogs] = useState<LogRow[]>([]);
  useEffect(() => {
    let isCurrent = true;
    // "all" is the run's and top-level blocks' lines: each child's are under its own Logs (Children of …).
    void api.call('runs.logs', { runId, ...(blockId ? { blockId } : { topLevel: true }), limit: 2000 }).then((reply) => {
      if (isCurrent) setLogs(reply.logs);
    });
    return () => {
      isCurrent = false;
    };
  }, [api, runId, blockId]);
  return (
    <section className="run-logs" aria-label="Logs of this run" id={RUN_LOGS_ID}>
      <div className="screen-head">
        <h3>Logs</h3>
        <label htmlFor={`${ids}-block`}>Block</label>
        <select id={`${ids}-block`} value={blockId} onChange={(e) => onBlockChange(e.target.value)}>
          {offersAll && <option value="">all</option>}
          {blockIds.map((id) => (
            <option key={id} value={id}>
              {id}
            </option>
          ))}
        </select>
      </div>
      {logs.length === 0 ? (
        <p className="muted">No log lines.</p>
      ) : (
        // Focusable, so the keyboard can scroll a long log.
        <ol className="log-lines run-log-lines" aria-label="Log lines of this run" tabIndex={0}>
          {logs.map((line) => (
            <li key={line.id} data-level={line.level}>
              <span className="muted">{new Date(line.at).toLocaleTimeString()}</span> <span className="log-level">{line.level}</span>{' '}
              {line.blockId && <span className="log-block">{line.blockId}</span>} {line.message}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
