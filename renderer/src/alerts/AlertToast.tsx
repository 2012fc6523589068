import { useEffect, useState } from 'react';
import type { Alert } from '../../../main/api/contract-views.ts';
import { useApi } from '../api/ApiContext.tsx';
import { Toast } from '../notices/Toast.tsx';

/** Toasts shown at once per pipeline; older ones give way. */
const MAX_TOASTS = 3;

/**
 * Shows each `alerts.raised` event of the pipeline on screen as a toast (pipeline, block, error, how to open the run);
 * another pipeline's alerts wait until it is shown. Failures stay until dismissed; the rest time out.
 */
export function AlertToast({ pipelineId }: { pipelineId: string | null }) {
  const api = useApi();
  const [alerts, setAlerts] = useState<(Alert & { key: string })[]>([]);
  useEffect(
    () =>
      api.on('alerts.raised', (alert) => {
        const key = `${alert.runId}:${alert.event}:${alert.blockId ?? ''}:${alert.at}`;
        setAlerts((shown) => {
          const others = shown.filter((a) => a.key !== key);
          const ofPipeline = others.filter((a) => a.pipelineId === alert.pipelineId);
          const dropped = new Set(ofPipeline.slice(0, Math.max(0, ofPipeline.length - MAX_TOASTS + 1)).map((a) => a.key));
          return [...others.filter((a) => !dropped.has(a.key)), { ...alert, key }];
        });
      }),
    [api],
  );
  const dismiss = (key: string) => setAlerts((shown) => shown.filter((a) => a.key !== key));
  return (
    <>
      {alerts
        .filter((alert) => alert.pipelineId === pipelineId)
        .map((alert) => (
          <Toast
            key={alert.key}
            tone={alert.event === 'failure' ? 'error' : 'ok'}
            label={alert.title}
            dismissLabel="Dismiss alert"
            text={alert.key}
            onDismiss={() => dismiss(alert.key)}
          >
            <strong>{alert.title}</strong>
            {alert.error && <span className="error-text">{alert.error}</span>}
            <span className="muted">
              Run {alert.runId}
              {alert.link.startsWith('http') ? '' : ` · ${alert.link}`}
            </span>
          </Toast>
        ))}
    </>
  );
}
