import { useEffect, useState, type CSSProperties } from 'react';
import type { Alert } from '../../../main/alerts/alert-message.ts';
import { useApi } from '../api/ApiContext.tsx';

/** Toasts shown at once; older ones give way. */
const MAX_TOASTS = 3;
/** Success and SLA toasts leave by themselves; failures stay until dismissed. */
const AUTO_DISMISS_MS = 8_000;

const stack: CSSProperties = { position: 'fixed', right: 16, bottom: 16, display: 'flex', flexDirection: 'column', gap: 8, zIndex: 1000, maxWidth: 380 };
const card: CSSProperties = {
  background: 'var(--surface)', color: 'var(--text)', border: '1px solid var(--border)', borderRadius: 6,
  padding: '8px 12px', boxShadow: '0 4px 14px rgba(0, 0, 0, 0.18)', display: 'grid', gridTemplateColumns: '1fr auto', gap: 4,
};
const accentOf: Record<Alert['event'], string> = { failure: 'var(--bad)', success: 'var(--ok)', retry: 'var(--warn)', sla_miss: 'var(--warn)', drift: 'var(--warn)' };

/** Shows each `alerts.raised` event as a toast (pipeline, block, error, how to open the run). */
export function AlertToast() {
  const api = useApi();
  const [alerts, setAlerts] = useState<(Alert & { key: string })[]>([]);
  useEffect(() => {
    const timers = new Set<ReturnType<typeof setTimeout>>();
    const stop = api.on('alerts.raised', (payload) => {
      const alert = payload as Alert;
      const key = `${alert.runId}:${alert.event}:${alert.blockId ?? ''}:${alert.at}`;
      setAlerts((shown) => [...shown.filter((a) => a.key !== key), { ...alert, key }].slice(-MAX_TOASTS));
      if (alert.event === 'failure') return;
      const timer = setTimeout(() => {
        timers.delete(timer);
        setAlerts((shown) => shown.filter((a) => a.key !== key));
      }, AUTO_DISMISS_MS);
      timers.add(timer);
    });
    return () => {
      stop();
      for (const timer of timers) clearTimeout(timer);
    };
  }, [api]);
  if (alerts.length === 0) return null;
  return (
    <div style={stack} aria-live="polite">
      {alerts.map((alert) => (
        <div key={alert.key} role="status" aria-label={alert.title} style={{ ...card, borderLeft: `4px solid ${accentOf[alert.event]}` }}>
          <strong>{alert.title}</strong>
          <button type="button" aria-label="Dismiss alert" onClick={() => setAlerts((shown) => shown.filter((a) => a.key !== alert.key))}>
            ×
          </button>
          {alert.error && <span style={{ gridColumn: '1 / -1', color: 'var(--bad)', wordBreak: 'break-word' }}>{alert.error}</span>}
          <span className="muted" style={{ gridColumn: '1 / -1', fontSize: 12 }}>
            Run {alert.runId}
            {alert.link.startsWith('http') ? '' : ` · ${alert.link}`}
          </span>
        </div>
      ))}
    </div>
  );
}
