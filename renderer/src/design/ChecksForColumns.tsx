import { useState } from 'react';
import { useApi } from '../api/ApiContext.tsx';
import type { PipelineView } from '../api/views.ts';
import type { ColumnInfo } from '../../../main/model/workspace-types.ts';
import type { BlockCheck } from '../../../main/model/check-schema.ts';
import { useBlockSchema } from './DesignContext.tsx';

type Kind = 'not_null' | 'unique' | 'accepted_values' | 'range';

/**
 * The block's columns (known before any run) with the checks each has, and a row to add one: not null, unique,
 * accepted values or a range. Added to the block's `checks:` in pipeline.yaml (the others and their comments stay).
 */
export function ChecksForColumns({ pipeline, blockId }: { pipeline: PipelineView; blockId: string }) {
  const schema = useBlockSchema(blockId);
  const block = pipeline.blocks.find((b) => b.id === blockId);
  if (!block || block.type === 'export' || block.type === 'sensor') return null;
  const columns = schema?.columns ?? [];
  return (
    <section className="checks-for-columns" aria-label={`Checks by column of ${blockId}`}>
      <h3>Checks by column</h3>
      {columns.length === 0 && <p className="muted">{schema?.note ?? 'The columns are known once the block has run or its SQL binds.'}</p>}
      {columns.length > 0 && (
        <table>
          <tbody>
            {columns.map((c) => (
              <ColumnRow key={c.name} pipeline={pipeline} blockId={blockId} column={c} existing={checksOn(block.checks, c.name)} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function ColumnRow({
  pipeline,
  blockId,
  column,
  existing,
}: {
  pipeline: PipelineView;
  blockId: string;
  column: ColumnInfo;
  existing: string[];
}) {
  const api = useApi();
  const [kind, setKind] = useState<Kind>('not_null');
  const [values, setValues] = useState('');
  const [min, setMin] = useState('');
  const [max, setMax] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  const add = async () => {
    const check = checkOf(kind, column.name, values, min, max);
    if (typeof check === 'string') return setMessage(check);
    try {
      await api.call('pipelines.update', {
        pipelineId: pipeline.id,
        expectedVersion: pipeline.version,
        edits: [{ op: 'addCheck', blockId, check }],
      });
      setMessage('added');
    } catch (error) {
      setMessage(error instanceof Error ? error.message : String(error));
    }
  };
  const label = `${column.name}`;
  return (
    <tr>
      <td>
        <strong>{column.name}</strong> <span className="muted">{column.type}</span>
      </td>
      <td className="muted">{existing.join(', ')}</td>
      <td>
        <select aria-label={`Check for ${label}`} value={kind} onChange={(e) => setKind(e.target.value as Kind)}>
          <option value="not_null">not null</option>
          <option value="unique">unique</option>
          <option value="accepted_values">accepted values</option>
          <option value="range">range</option>
        </select>
        {kind === 'accepted_values' && (
          <input aria-label={`Accepted values of ${label}`} placeholder="1, 2" value={values} onChange={(e) => setValues(e.target.value)} />
        )}
        {kind === 'range' && (
          <>
            <input aria-label={`Minimum of ${label}`} placeholder="min" size={6} value={min} onChange={(e) => setMin(e.target.value)} />
            <input aria-label={`Maximum of ${label}`} placeholder="max" size={6} value={max} onChange={(e) => setMax(e.target.value)} />
          </>
        )}
        <button type="button" onClick={() => void add()} aria-label={`Add check on ${label}`}>
          Add
        </button>
        {message && (
          <span className={message === 'added' ? 'muted' : 'field-error'} role="status">
            {' '}
            {message}
          </span>
        )}
      </td>
    </tr>
  );
}

/** The check as pipeline.yaml writes it, or what is missing. Numbers stay numbers (`[1, 2]`, not `['1', '2']`). */
function checkOf(kind: Kind, column: string, values: string, min: string, max: string): BlockCheck | string {
  if (kind === 'not_null') return { not_null: column };
  if (kind === 'unique') return { unique: column };
  if (kind === 'accepted_values') {
    const list = values
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean)
      .map(literal);
    return list.length ? { accepted_values: { column, values: list } } : 'give the accepted values, separated by commas';
  }
  if (!min.trim() && !max.trim()) return 'give a minimum, a maximum or both';
  return { range: { column, ...(min.trim() ? { min: literal(min.trim()) } : {}), ...(max.trim() ? { max: literal(max.trim()) } : {}) } };
}

function literal(text: string): string | number {
  return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
}

/** Names of the block's checks that read `column`. */
function checksOn(checks: unknown, column: string): string[] {
  if (!Array.isArray(checks)) return [];
  return checks.flatMap((check: Record<string, unknown>) => {
    const kind = Object.keys(check).find((k) => k !== 'name' && k !== 'severity');
    if (!kind) return [];
    const value = check[kind];
    const columns =
      typeof value === 'string'
        ? [value]
        : Array.isArray(value)
          ? value.map(String)
          : typeof value === 'object' && value !== null && 'column' in value
            ? [String((value as { column: unknown }).column)]
            : [];
    return columns.some((c) => c.toLowerCase() === column.toLowerCase()) ? [kind] : [];
  });
}
