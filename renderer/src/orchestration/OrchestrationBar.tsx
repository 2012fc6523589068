import { useState } from 'react';
import { BackfillDialog } from './BackfillDialog.tsx';
import { TriggersPanel } from './TriggersPanel.tsx';
import { useBackfillJob } from './use-backfill.ts';
import './orchestration.css';

/** The pipeline's "Triggers" and "Backfill…" buttons under the run toolbar, each opening its dialog. */
export function OrchestrationBar({ pipelineId, canRun }: { pipelineId: string | null; canRun: boolean }) {
  const [open, setOpen] = useState<'triggers' | 'backfill' | null>(null);
  // Kept here so closing the dialog does not lose a running backfill's progress.
  const job = useBackfillJob(pipelineId ?? '');
  if (!pipelineId) return null;
  return (
    <div className="orch-bar" role="toolbar" aria-label="Orchestration">
      <button type="button" onClick={() => setOpen('triggers')} aria-haspopup="dialog" disabled={!canRun}>
        Triggers
      </button>
      <button type="button" onClick={() => setOpen('backfill')} aria-haspopup="dialog" disabled={!canRun}>
        Backfill…
      </button>
      {open === 'triggers' && <TriggersPanel pipelineId={pipelineId} onClose={() => setOpen(null)} />}
      {open === 'backfill' && <BackfillDialog pipelineId={pipelineId} job={job} onClose={() => setOpen(null)} />}
    </div>
  );
}
