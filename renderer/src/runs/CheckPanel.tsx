import { useState } from 'react';
import { useApi } from '../api/ApiContext.tsx';

/** `pipelines.check`'s answer, as the contract's handler returns it (kept structural: the renderer imports no main code). */
interface CheckReport {
  isOk: boolean;
  blocks: { blockId: string; kind: string; items: { name: string; status: 'ok' | 'warn' | 'fail' | 'skip'; detail: string }[] }[];
}

const MARKS = { ok: '✓', warn: '!', fail: '✗', skip: '–' } as const;

/** A Check button for the pipeline on the canvas and its per-block checklist (pipewright check, without writing). */
export function CheckPanel({ pipelineId }: { pipelineId: string | null }) {
  const api = useApi();
  const [report, setReport] = useState<CheckReport | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const check = async () => {
    if (!pipelineId) return;
    setBusy(true);
    setError(null);
    try {
      setReport(await api.call('pipelines.check', { pipelineId }));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="check-panel" aria-label="Pipeline check">
      <button
        type="button"
        onClick={() => void check()}
        disabled={!pipelineId || busy}
        title="Checks Postgres, GCS and BigQuery blocks without writing anything"
      >
        {busy ? 'Checking…' : 'Check'}
      </button>
      {error && (
        <span className="error-text" role="alert">
          {error}
        </span>
      )}
      {report && (
        <div role="status" aria-label="Check result">
          <strong>{report.isOk ? 'Ready to run' : 'Fix before running'}</strong>
          {report.blocks.length === 0 && <p>No Postgres, GCS, BigQuery or Python blocks to check.</p>}
          {report.blocks.map((b) => (
            <ul key={b.blockId} aria-label={`Checks of ${b.blockId}`}>
              <li>
                <strong>{b.blockId}</strong>
              </li>
              {b.items.map((i) => (
                <li key={i.name} data-status={i.status}>
                  {MARKS[i.status]} {i.name}: {i.detail}
                </li>
              ))}
            </ul>
          ))}
          <button type="button" className="link-button" onClick={() => setReport(null)}>
            Close
          </button>
        </div>
      )}
    </section>
  );
}
