import { useId, useState } from 'react';
import { blockNameProblem, type EditProblem } from '../editing/edit-errors.ts';

interface Props {
  blockId: string;
  config: Record<string, unknown>;
  /** Resolves null when saved (the dialog closes), else the refusal, shown at its field. */
  onSave(newId: string, config: Record<string, unknown>): Promise<EditProblem | null>;
  onClose(): void;
}

/** A block's name and config as JSON: the minimal editor every kind has, whatever forms exist elsewhere. */
export function BlockDialog({ blockId, config, onSave, onClose }: Props) {
  const [name, setName] = useState(blockId);
  const [text, setText] = useState(() => JSON.stringify(config, null, 2));
  const [problem, setProblem] = useState<EditProblem | null>(null);
  const nameErrorId = useId();
  const configErrorId = useId();
  const save = async () => {
    const nameProblem = blockNameProblem(name.trim());
    if (nameProblem) return setProblem({ text: nameProblem, field: 'name' });
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      return setProblem({
        text: `The config is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
        field: 'config',
      });
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      return setProblem({ text: 'The config must be a JSON object: { "key": value, … }', field: 'config' });
    setProblem(null);
    const refused = await onSave(name.trim(), parsed as Record<string, unknown>);
    if (refused) return setProblem(refused);
    onClose();
  };
  const errorAt = (field: EditProblem['field']) => (problem && problem.field === field ? problem.text : null);
  return (
    <div className="dialog-backdrop">
      <div
        className="dialog"
        role="dialog"
        aria-modal="true"
        aria-label={`Edit block ${blockId}`}
        onKeyDown={(e) => {
          if (e.key === 'Escape') onClose();
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void save();
        }}
      >
        <h2>Edit block {blockId}</h2>
        <label className="field">
          <span>Block name</span>
          <input
            value={name}
            onChange={(e) => setName(e.target.value)}
            spellCheck={false}
            autoFocus
            aria-invalid={errorAt('name') !== null}
            {...(errorAt('name') ? { 'aria-describedby': nameErrorId } : {})}
          />
        </label>
        {errorAt('name') && (
          <p id={nameErrorId} className="field-error error-text" role="alert">
            {errorAt('name')}
          </p>
        )}
        <label className="field">
          <span>Config (JSON)</span>
          <textarea
            value={text}
            onChange={(e) => setText(e.target.value)}
            rows={12}
            spellCheck={false}
            aria-label="Config JSON"
            aria-invalid={errorAt('config') !== null}
            {...(errorAt('config') ? { 'aria-describedby': configErrorId } : {})}
          />
        </label>
        {errorAt('config') && (
          <p id={configErrorId} className="field-error error-text" role="alert">
            {errorAt('config')}
          </p>
        )}
        {problem && problem.field === null && (
          <p className="error-text" role="alert">
            {problem.text}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="button" className="primary" onClick={() => void save()}>
            Save
          </button>
        </div>
      </div>
    </div>
  );
}
