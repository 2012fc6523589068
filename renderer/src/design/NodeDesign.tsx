import { useDesign } from './DesignContext.tsx';
import './design.css';

const ROLE_LABELS = { focus: 'selected', source: 'source', use: 'used by' } as const;

/**
 * Design-time facts on a node: a problem found before any run (not repeated under a failed run's own error), its
 * part in a traced column, its columns on hover.
 */
export function NodeDesign({ blockId, hasRunError }: { blockId: string; hasRunError: boolean }) {
  const { schemas, marks } = useDesign();
  const schema = schemas.get(blockId);
  const mark = marks.get(blockId);
  const problem = hasRunError ? undefined : schema?.problems[0];
  return (
    <>
      {problem && (
        <div className="block-node-problem" role="note" aria-label={`Problem in ${blockId}`} title={problem.message}>
          ⚠ {problem.line !== undefined ? `line ${problem.line}: ` : ''}
          {firstLine(problem.message)}
        </div>
      )}
      {mark && (
        <div className={`lineage-badge role-${mark.role}`} aria-label={`Lineage of ${blockId}`}>
          {ROLE_LABELS[mark.role]}: {mark.columns.join(', ')}
        </div>
      )}
      <div className="block-node-columns" role="tooltip" aria-label={`Columns of ${blockId}`}>
        {schema?.columns ? (
          <>
            <div className="columns-origin">{ORIGINS[schema.origin]}</div>
            <ul>
              {schema.columns.map((c) => (
                <li key={c.name} className={mark?.columns.some((m) => m.toLowerCase() === c.name.toLowerCase()) ? 'is-traced' : undefined}>
                  <span>{c.name}</span> <span className="muted">{c.type}</span>
                </li>
              ))}
            </ul>
          </>
        ) : (
          <div className="muted">{schema?.note ?? (schema ? 'no output' : 'columns not known yet')}</div>
        )}
      </div>
    </>
  );
}

/** The lineage role of a block, for the node's class. */
export function useLineageClass(blockId: string): string {
  const mark = useDesign().marks.get(blockId);
  return mark ? ` lineage-${mark.role}` : '';
}

const ORIGINS = {
  design: 'columns before running',
  declared: 'declared schema',
  last_run: 'columns of the last run',
  none: '',
} as const;

function firstLine(message: string): string {
  return message.split('\n')[0] ?? message;
}
