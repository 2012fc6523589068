import './layout.css';

/** Grey placeholder blocks shaped like a DAG, marked busy, while a pipeline loads. */
export function CanvasSkeleton({ label }: { label: string }) {
  return (
    <div className="skeleton skeleton-canvas" role="status" aria-busy="true" aria-label={label}>
      <span className="skeleton-node" style={{ left: '18%', top: '30%' }} />
      <span className="skeleton-node" style={{ left: '42%', top: '22%' }} />
      <span className="skeleton-node" style={{ left: '42%', top: '52%' }} />
      <span className="skeleton-node" style={{ left: '66%', top: '38%' }} />
    </div>
  );
}

/** Grey lines in place of a list or grid that is still loading, marked busy. */
export function LinesSkeleton({ label, lines = 6 }: { label: string; lines?: number }) {
  return (
    <div className="skeleton skeleton-lines" role="status" aria-busy="true" aria-label={label}>
      {Array.from({ length: lines }, (_, i) => (
        <span key={i} className="skeleton-line" style={{ width: `${92 - ((i * 17) % 40)}%` }} />
      ))}
    </div>
  );
}
