import { useEffect, useState } from 'react';
import { useApi } from '../api/ApiContext.tsx';
import type { PipelineView } from '../api/views.ts';
import type { ExportPlan } from '../../../main/api/design-contract.ts';
import { runVariablesFor } from '../runs/run-variables.ts';

type State = { status: 'loading' } | { status: 'ready'; plan: ExportPlan } | { status: 'error'; message: string };

/** **Preview export**: what the export would do (`pipelines.dryRun`), with the window's variables; nothing is written. */
export function ExportPreviewDialog({ pipeline, blockId, onClose }: { pipeline: PipelineView; blockId: string; onClose(): void }) {
  const api = useApi();
  const [state, setState] = useState<State>({ status: 'loading' });
  useEffect(() => {
    let isCurrent = true;
    api
      .call('pipelines.dryRun', { pipelineId: pipeline.id, blockId, variables: runVariablesFor(pipeline.id, pipeline.spec.variables) })
      .then((report) => {
        const [entry] = report.exports;
        if (!isCurrent) return;
        if (!entry) setState({ status: 'error', message: `${blockId} is not an export block` });
        else if ('error' in entry) setState({ status: 'error', message: entry.error.message });
        else setState({ status: 'ready', plan: entry });
      })
      .catch(
        (error: unknown) => isCurrent && setState({ status: 'error', message: error instanceof Error ? error.message : String(error) }),
      );
    return () => {
      isCurrent = false;
    };
  }, [api, pipeline.id, pipeline.spec.variables, blockId]);
  return (
    <div className="dialog-backdrop">
      <div
        className="dialog plan-dialog"
        role="dialog"
        aria-modal="true"
        aria-label={`Preview export ${blockId}`}
        onKeyDown={(e) => e.key === 'Escape' && onClose()}
      >
        <h2>Preview export: {blockId}</h2>
        {state.status === 'loading' && (
          <p className="muted" role="status">
            Planning the export (reading the target, writing nothing)…
          </p>
        )}
        {state.status === 'error' && (
          <p className="error-text" role="alert">
            {state.message}
          </p>
        )}
        {state.status === 'ready' && <PlanView plan={state.plan} />}
        <div className="dialog-actions">
          <button type="button" className="primary" onClick={onClose} autoFocus>
            Close
          </button>
        </div>
      </div>
    </div>
  );
}

function PlanView({ plan }: { plan: ExportPlan }) {
  const diff = plan.schemaDiff;
  const changes = diff
    ? [
        ...diff.added.map((c) => `+ ${c.name} ${c.type}`),
        ...diff.missing.map((c) => `− ${c.name} ${c.type}`),
        ...diff.retyped.map((c) => `~ ${c.name} ${c.from} → ${c.to}`),
      ]
    : [];
  return (
    <div aria-label="Export plan">
      <dl>
        <dt>Destination</dt>
        <dd>{plan.destination}</dd>
        <dt>Mode</dt>
        <dd>{plan.mode}</dd>
        <dt>Rows</dt>
        <dd>{plan.rows !== undefined ? plan.rows.toLocaleString('en-US') : 'unknown until the upstream runs'}</dd>
        {plan.partitions && (
          <>
            <dt>Partitions</dt>
            <dd>{plan.partitions.length}</dd>
          </>
        )}
        {diff && (
          <>
            <dt>Target</dt>
            <dd>{diff.targetExists ? (changes.length ? changes.join(', ') : 'exists, same columns') : 'does not exist'}</dd>
          </>
        )}
        {diff && (
          <>
            <dt>Policy</dt>
            <dd>{diff.policy}</dd>
          </>
        )}
        {plan.objects && (
          <>
            <dt>Writes</dt>
            <dd>
              {plan.objects.write.length} {plan.objects.write.length === 1 ? 'object' : 'objects'}
            </dd>
          </>
        )}
        {plan.objects && plan.objects.remove.length > 0 && (
          <>
            <dt>Removes</dt>
            <dd>{plan.objects.remove.join(', ')}</dd>
          </>
        )}
      </dl>
      {plan.notes.map((note) => (
        <p key={note} className="muted">
          ! {note}
        </p>
      ))}
      {plan.ddl.length > 0 && (
        <>
          <h3>DDL</h3>
          <pre aria-label="DDL">{plan.ddl.map((s) => `${s};`).join('\n')}</pre>
        </>
      )}
      {plan.partitions && (
        <div className="plan-partitions" aria-label="Rows per partition">
          <table>
            <tbody>
              {plan.partitions.map((p) => (
                <tr key={p.name}>
                  <td>{p.name}</td>
                  <td>{p.rows.toLocaleString('en-US')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {plan.job && (
        <>
          <h3>BigQuery load job</h3>
          <pre aria-label="Load job">{JSON.stringify(plan.job, null, 2)}</pre>
        </>
      )}
    </div>
  );
}
