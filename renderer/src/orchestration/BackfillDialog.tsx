import { useId, useState } from 'react';
import { Modal } from './Modal.tsx';
import {
  useBackfillPreview,
  type BackfillForm,
  type Every,
  type Preview,
  type TrackedProgress,
  type useBackfillJob,
} from './use-backfill.ts';

type Job = ReturnType<typeof useBackfillJob>;

const today = () => new Date().toISOString().slice(0, 10);
const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);

/** From/to dates, interval and concurrency with a live dry run; Start, then the backfill's progress and a retry of failed intervals. */
export function BackfillDialog({ pipelineId, job, onClose }: { pipelineId: string; job: Job; onClose(): void }) {
  const [form, setForm] = useState<BackfillForm>({ from: daysAgo(6), to: today(), every: 'day', concurrency: 2 });
  const preview = useBackfillPreview(pipelineId, form);
  const set = (patch: Partial<BackfillForm>) => setForm((f) => ({ ...f, ...patch }));
  const isRunning = job.progress !== null && !job.progress.finished;
  return (
    <Modal title={`Backfill ${pipelineId}`} onClose={onClose}>
      <form className="backfill-form" onSubmit={(e) => (e.preventDefault(), preview.status === 'ready' && void job.start(form))}>
        <DateField label="From" value={form.from} onChange={(from) => set({ from })} error={fieldError(preview, 'from')} />
        <DateField label="To (inclusive)" value={form.to} onChange={(to) => set({ to })} error={fieldError(preview, 'to')} />
        <label>
          Every
          <select value={form.every} onChange={(e) => set({ every: e.target.value as Every })}>
            <option value="day">day</option>
            <option value="week">week</option>
            <option value="month">month</option>
          </select>
        </label>
        <label>
          Concurrency
          <input
            type="number"
            min={1}
            max={32}
            value={form.concurrency}
            onChange={(e) => set({ concurrency: Math.min(32, Math.max(1, Number(e.target.value) || 1)) })}
          />
        </label>
        <PlanSummary preview={preview} />
        {preview.status === 'ready' && preview.warning && (
          <p className="warning-text" role="note" aria-label="Backfill warning">
            Note: {preview.warning}.
          </p>
        )}
        {preview.status === 'error' && preview.field === null && (
          <p className="error-text" role="alert">
            {preview.message}
          </p>
        )}
        <div className="backfill-actions">
          <button type="submit" className="primary" disabled={preview.status !== 'ready' || isRunning}>
            Start backfill
          </button>
        </div>
      </form>
      {job.error && (
        <p className="error-text" role="alert">
          {job.error}
        </p>
      )}
      {job.progress && <BackfillProgressView progress={job.progress} onRetry={() => void job.retryFailed(form.concurrency)} />}
    </Modal>
  );
}

function DateField({
  label,
  value,
  onChange,
  error,
}: {
  label: string;
  value: string;
  onChange(value: string): void;
  error: string | null;
}) {
  const errorId = useId();
  return (
    <div className="backfill-field">
      <label>
        {label}
        <input
          type="date"
          value={value}
          onChange={(e) => onChange(e.target.value)}
          aria-invalid={error !== null}
          {...(error ? { 'aria-describedby': errorId } : {})}
        />
      </label>
      {error && (
        <span id={errorId} className="field-error error-text" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}

function fieldError(preview: Preview, field: 'from' | 'to'): string | null {
  return preview.status === 'error' && preview.field === field ? preview.message : null;
}

function PlanSummary({ preview }: { preview: Preview }) {
  const text =
    preview.status === 'ready'
      ? `${preview.intervals.length} run${preview.intervals.length === 1 ? '' : 's'}: first ${preview.intervals[0]?.start}, last ${preview.intervals.at(-1)?.start} (to ${preview.intervals.at(-1)?.end}, exclusive)`
      : preview.status === 'loading'
        ? 'Planning…'
        : '';
  return (
    <p className="plan-summary" role="status" aria-label="Backfill plan">
      {text}
    </p>
  );
}

function BackfillProgressView({ progress, onRetry }: { progress: TrackedProgress; onRetry(): void }) {
  const percent = progress.total === 0 ? 100 : Math.round((progress.done / progress.total) * 100);
  return (
    <section className="backfill-progress" aria-label="Backfill progress">
      <div
        className="backfill-track"
        role="progressbar"
        aria-label={`${progress.done}/${progress.total} done`}
        aria-valuenow={percent}
        aria-valuemin={0}
        aria-valuemax={100}
      >
        <div className={`backfill-fill${progress.failed > 0 ? ' has-failures' : ''}`} style={{ width: `${percent}%` }} />
      </div>
      <p role="status" aria-label="Backfill status">
        {progress.backfillId}: {progress.done}/{progress.total} done, {progress.failed} failed
        {progress.last
          ? ` · last ${progress.last.interval} ${progress.last.status}${progress.last.error ? ` (${progress.last.error})` : ''}`
          : ''}
        {progress.finished ? ' · finished' : ''}
      </p>
      {progress.failedIntervals.length > 0 && (
        <p className="error-text" role="note" aria-label="Failed intervals">
          Failed: {progress.failedIntervals.join(', ')} (see History for their errors)
        </p>
      )}
      {progress.error && (
        <p className="error-text" role="alert">
          {progress.error}
        </p>
      )}
      {progress.finished && progress.failed > 0 && (
        <button type="button" onClick={onRetry}>
          Retry failed intervals
        </button>
      )}
    </section>
  );
}
