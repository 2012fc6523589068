import { useEffect, useRef, type ReactNode } from 'react';
import './notices.css';

/** How long a confirmation stays; refusals and failures stay until dismissed. */
export const TOAST_MS = 6000;

interface Props {
  /** `info` and `ok` time out; `error` stays. */
  tone: 'info' | 'ok' | 'running' | 'error';
  label: string;
  dismissLabel: string;
  /** What the notice says: a new text starts its timeout again. */
  text: string;
  onDismiss(): void;
  children: ReactNode;
}

/**
 * One notice in the stack under the pipeline list (a corner that covers no node and no button): Escape while it has
 * focus, or its × button, dismisses it; confirmations leave by themselves after TOAST_MS.
 */
export function Toast({ tone, label, dismissLabel, text, onDismiss, children }: Props) {
  const dismiss = useRef(onDismiss);
  dismiss.current = onDismiss;
  useEffect(() => {
    if (tone !== 'info' && tone !== 'ok') return;
    const timer = setTimeout(() => dismiss.current(), TOAST_MS);
    return () => clearTimeout(timer);
  }, [tone, text]);
  return (
    <div
      className={`toast tone-${tone}`}
      role={tone === 'error' ? 'alert' : 'status'}
      aria-label={label}
      onKeyDown={(e) => {
        if (e.key !== 'Escape') return;
        e.stopPropagation();
        onDismiss();
      }}
    >
      <div className="toast-body">{children}</div>
      <button type="button" className="toast-close" aria-label={dismissLabel} title={`${dismissLabel} (Esc)`} onClick={onDismiss}>
        ×
      </button>
    </div>
  );
}

/** The stack: newest at the bottom, in the sidebar's lower corner. */
export function NoticeStack({ children }: { children: ReactNode }) {
  return (
    <section className="notice-stack" aria-label="Notifications" aria-live="polite">
      {children}
    </section>
  );
}
