import { useCallback, useState } from 'react';
import { BackfillDialog } from './BackfillDialog.tsx';
import { ScheduleStatus } from './ScheduleStatus.tsx';
import { CheckPanel } from '../runs/CheckPanel.tsx';
import { TriggersPanel } from './TriggersPanel.tsx';
import { useBackfillJob } from './use-backfill.ts';
import { runVariablesFor, useRunVariables, type VariableSpec } from '../runs/run-variables.ts';
import { VariablesDialog } from '../runs/VariablesDialog.tsx';
import './orchestration.css';

/** The pipeline's "Variables", "Triggers", "Backfill…" and "Check" buttons under the run toolbar, each opening its dialog. */
export function OrchestrationBar({
  pipelineId,
  canRun,
  variables,
}: {
  pipelineId: string | null;
  canRun: boolean;
  variables: Record<string, VariableSpec>;
}) {
  const [open, setOpen] = useState<'variables' | 'triggers' | 'backfill' | null>(null);
  const [values, saveValues] = useRunVariables(pipelineId, variables);
  const setCount = Object.keys(values).length;
  // Kept here so closing the dialog does not lose a running backfill's progress.
  const backfillVariables = useCallback(() => (pipelineId ? runVariablesFor(pipelineId, variables) : {}), [pipelineId, variables]);
  const job = useBackfillJob(pipelineId ?? '', backfillVariables);
  if (!pipelineId) return null;
  return (
    <div className="orch-bar" role="toolbar" aria-label="Orchestration">
      <button
        type="button"
        onClick={() => setOpen('variables')}
        aria-haspopup="dialog"
        disabled={!canRun}
        className={setCount > 0 ? 'is-set' : undefined}
      >
        {setCount > 0 ? `Variables (${setCount} set)` : 'Variables'}
      </button>
      <button type="button" onClick={() => setOpen('triggers')} aria-haspopup="dialog" disabled={!canRun}>
        Triggers
      </button>
      <button type="button" onClick={() => setOpen('backfill')} aria-haspopup="dialog" disabled={!canRun}>
        Backfill…
      </button>
      <CheckPanel key={pipelineId} pipelineId={pipelineId} />
      <ScheduleStatus />
      {open === 'variables' && (
        <VariablesDialog pipelineId={pipelineId} declared={variables} values={values} onSave={saveValues} onClose={() => setOpen(null)} />
      )}
      {open === 'triggers' && <TriggersPanel pipelineId={pipelineId} onClose={() => setOpen(null)} />}
      {open === 'backfill' && <BackfillDialog pipelineId={pipelineId} job={job} onClose={() => setOpen(null)} />}
    </div>
  );
}
