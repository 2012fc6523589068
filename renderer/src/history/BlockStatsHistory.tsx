import { useEffect, useState } from 'react';
import { useApi } from '../api/ApiContext.tsx';
import { formatCount } from '../canvas/format.ts';

interface StatsRun {
  runId: string;
  at: number;
  rows: number;
  columns: { name: string; type: string }[];
}

/** A block's row count over its last successful runs (bars, oldest to newest) and the schema changes between them. */
export function BlockStatsHistory({ pipelineId, blockId }: { pipelineId: string; blockId: string }) {
  const runs = useStatsHistory(pipelineId, blockId);
  if (!runs || runs.length === 0) return null;
  const ordered = [...runs].reverse();
  const max = Math.max(1, ...ordered.map((r) => r.rows));
  const changes = schemaChanges(ordered);
  return (
    <section className="block-stats-history" aria-label={`Output of ${blockId} over its last runs`}>
      <h3>
        {blockId}: rows over the last {ordered.length} successful run{ordered.length === 1 ? '' : 's'}
      </h3>
      <svg width={ordered.length * 14} height={48} role="img" aria-label={`Rows per run: ${ordered.map((r) => r.rows).join(', ')}`}>
        {ordered.map((r, i) => {
          const height = Math.max(1, Math.round((r.rows / max) * 44));
          return (
            <rect key={r.runId} x={i * 14} y={48 - height} width={10} height={height} className="stats-bar">
              <title>{`${new Date(r.at).toLocaleString()}: ${formatCount(r.rows)} rows, ${r.columns.length} columns`}</title>
            </rect>
          );
        })}
      </svg>
      {changes.length > 0 ? (
        <ul aria-label="Schema changes">
          {changes.map((c) => (
            <li key={c}>{c}</li>
          ))}
        </ul>
      ) : (
        <p className="muted">Schema unchanged: {ordered.at(-1)?.columns.length ?? 0} columns.</p>
      )}
    </section>
  );
}

function useStatsHistory(pipelineId: string, blockId: string): StatsRun[] | undefined {
  const api = useApi();
  const [runs, setRuns] = useState<StatsRun[] | undefined>(undefined);
  useEffect(() => {
    let isCurrent = true;
    setRuns(undefined);
    api.call('outputs.statsHistory', { pipelineId, blockId }).then(
      (result) => {
        if (isCurrent) setRuns(result.runs);
      },
      // No chart is better than a broken page: the block's rows are still in the table above.
      () => {
        if (isCurrent) setRuns([]);
      },
    );
    return () => {
      isCurrent = false;
    };
  }, [api, pipelineId, blockId]);
  return runs;
}

/** `added tip_rate DOUBLE`, `removed store_and_fwd_flag`, `fare DOUBLE → DECIMAL(10,2)`, each with when it happened. */
export function schemaChanges(ordered: StatsRun[]): string[] {
  const out: string[] = [];
  for (let i = 1; i < ordered.length; i++) {
    const before = new Map((ordered[i - 1]?.columns ?? []).map((c) => [c.name, c.type]));
    const run = ordered[i];
    if (!run) continue;
    const now = new Map(run.columns.map((c) => [c.name, c.type]));
    const when = new Date(run.at).toLocaleString();
    for (const [name, type] of now) if (!before.has(name)) out.push(`${when}: added ${name} ${type}`);
    for (const name of before.keys()) if (!now.has(name)) out.push(`${when}: removed ${name}`);
    for (const [name, type] of now)
      if (before.has(name) && before.get(name) !== type) out.push(`${when}: ${name} ${before.get(name)} → ${type}`);
  }
  return out;
}
