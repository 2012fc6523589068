import { useCallback, useEffect, useState } from 'react';
import type { BackfillProgressEvent, PlannedInterval } from '../../../main/api/contract-views.ts';
import { ApiError } from '../api/api-client.ts';
import { useApi } from '../api/ApiContext.tsx';
import { messageOf } from '../use-project.ts';

export type Every = 'day' | 'week' | 'month';

export interface BackfillForm {
  from: string;
  to: string;
  every: Every;
  concurrency: number;
}

/** A dry run's answer: the intervals, or the planner's refusal with the field it is about. */
export type Preview =
  | { status: 'idle' | 'loading' }
  | { status: 'ready'; intervals: PlannedInterval[]; warning?: string }
  | { status: 'error'; field: 'from' | 'to' | null; message: string };

/** The live preview of a backfill form (re-planned as the fields change), checked for blank dates before asking. */
export function useBackfillPreview(pipelineId: string, form: BackfillForm): Preview {
  const api = useApi();
  const [preview, setPreview] = useState<Preview>({ status: 'idle' });
  useEffect(() => {
    if (!form.from || !form.to) {
      setPreview({ status: 'error', field: form.from ? 'to' : 'from', message: 'choose a date' });
      return;
    }
    let isCurrent = true;
    setPreview({ status: 'loading' });
    const timer = setTimeout(() => {
      api.call('backfills.plan', { pipelineId, from: form.from, to: form.to, every: form.every }).then(
        ({ intervals, warning }) => isCurrent && setPreview({ status: 'ready', intervals, ...(warning ? { warning } : {}) }),
        (e: unknown) => isCurrent && setPreview({ status: 'error', field: fieldOf(e), message: messageOf(e) }),
      );
    }, 150);
    return () => {
      isCurrent = false;
      clearTimeout(timer);
    };
  }, [api, pipelineId, form.from, form.to, form.every]);
  return preview;
}

/**
 * The backfill started from this window (one at a time) and its latest `backfills.progress`. Its runs use the
 * values set under Variables (`variables()` reads them when it starts), as every run started from this window does.
 */
export function useBackfillJob(pipelineId: string, variables: () => Record<string, string>) {
  const api = useApi();
  const [backfillId, setBackfillId] = useState<string | null>(null);
  const [progress, setProgress] = useState<TrackedProgress | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(
    () =>
      api.on('backfills.progress', (event) => {
        // Progress can arrive before `backfills.start` resolves: match on the pipeline until the id is known.
        setProgress((current) =>
          event.pipelineId === pipelineId && (current === null || current.backfillId === event.backfillId || current.finished)
            ? track(current, event)
            : current,
        );
      }),
    [api, pipelineId],
  );
  const launch = useCallback(async (started: () => Promise<{ backfillId: string }>) => {
    setError(null);
    setProgress(null);
    try {
      setBackfillId((await started()).backfillId);
    } catch (e) {
      setError(messageOf(e));
    }
  }, []);
  const start = useCallback(
    (form: BackfillForm) => launch(() => api.call('backfills.start', { pipelineId, ...form, variables: variables() })),
    [api, launch, pipelineId, variables],
  );
  const retryFailed = useCallback(
    (concurrency: number) => backfillId && launch(() => api.call('backfills.retryFailed', { pipelineId, backfillId, concurrency })),
    [api, launch, pipelineId, backfillId],
  );
  const shown = progress && (backfillId === null || progress.backfillId === backfillId) ? progress : null;
  return { backfillId, progress: shown, error, start, retryFailed };
}

/** A backfill's latest progress and the intervals that failed so far (progress names only the last one). */
export type TrackedProgress = BackfillProgressEvent & { failedIntervals: string[] };

function track(current: TrackedProgress | null, event: BackfillProgressEvent): TrackedProgress {
  const earlier = current?.backfillId === event.backfillId && event.done > 0 ? current.failedIntervals : [];
  const last = event.last;
  const failedIntervals = last && last.status !== 'succeeded' ? [...earlier, last.interval].sort() : earlier;
  return { ...event, failedIntervals };
}

function fieldOf(error: unknown): 'from' | 'to' | null {
  const path = error instanceof ApiError ? error.shape.place?.path : undefined;
  return path === 'from' || path === 'to' ? path : null;
}
