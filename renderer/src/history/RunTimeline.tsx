import { formatDuration } from '../canvas/format.ts';
import type { RunDetail } from './use-runs.ts';

/** A Gantt chart of the run's block attempts: one row per block, one bar per attempt, placed on the run's time axis. */
export function RunTimeline({ run }: { run: RunDetail }) {
  const attempts = run.blocks.flatMap((b) => b.attemptsDetail.map((a) => ({ blockId: b.blockId, ...a })));
  if (attempts.length === 0) return null;
  const start = run.startedAt;
  const end = Math.max(run.finishedAt ?? 0, ...attempts.map((a) => a.finishedAt ?? Date.now()), start + 1);
  const span = end - start;
  const percent = (t: number) => `${(((t - start) / span) * 100).toFixed(2)}%`;
  return (
    <figure className="run-timeline" aria-label="Timeline of block attempts">
      <figcaption className="muted">Timeline · {formatDuration(span)}</figcaption>
      <ul>
        {run.blocks.map((block) => (
          <li key={block.blockId} className="timeline-row">
            <span className="timeline-label">{block.blockId}</span>
            <span className="timeline-track">
              {block.attemptsDetail.map((a) => {
                const finished = a.finishedAt ?? Date.now();
                const label = `${block.blockId} attempt ${a.attempt}: ${a.status}, ${formatDuration(finished - a.startedAt)}`;
                return (
                  <span
                    key={a.attempt}
                    className="timeline-bar"
                    data-status={a.status}
                    role="img"
                    aria-label={label}
                    title={label}
                    style={{ left: percent(a.startedAt), width: `max(2px, calc(${percent(finished)} - ${percent(a.startedAt)}))` }}
                  />
                );
              })}
            </span>
          </li>
        ))}
      </ul>
    </figure>
  );
}
