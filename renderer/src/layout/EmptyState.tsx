import type { ReactNode } from 'react';
import './layout.css';

/** A calm, centred note that says what to do next where there is nothing to show yet. */
export function EmptyState({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty-state" role="note" aria-label={title}>
      <p className="empty-state-title">{title}</p>
      {children && <div className="empty-state-body muted">{children}</div>}
    </div>
  );
}
