import { useState } from 'react';
import { Modal } from '../orchestration/Modal.tsx';
import { describeVariable, type VariableSpec } from './run-variables.ts';

interface Props {
  pipelineId: string;
  declared: Record<string, VariableSpec>;
  values: Record<string, string>;
  onSave(values: Record<string, string>): void;
  onClose(): void;
}

/**
 * The pipeline's declared variables with their defaults: values set here are used by every run started from this
 * window (toolbar, block runs, one-click exports) until cleared. An empty field means the default.
 */
export function VariablesDialog({ pipelineId, declared, values, onSave, onClose }: Props) {
  const [draft, setDraft] = useState<Record<string, string>>(values);
  const names = Object.keys(declared);
  return (
    <Modal title={`Variables of ${pipelineId}`} onClose={onClose}>
      {names.length === 0 ? (
        <p className="muted">
          This pipeline declares no variables. Add them under <code>variables:</code> in <code>pipelines/{pipelineId}/pipeline.yaml</code>;
          blocks read them as <code>{'{{ name }}'}</code>.
        </p>
      ) : (
        <form
          className="variables-form"
          onSubmit={(event) => {
            event.preventDefault();
            onSave(draft);
            onClose();
          }}
        >
          <p className="muted">Runs started here use these values; an empty field uses the default from pipeline.yaml.</p>
          {names.map((name) => {
            const { defaultText, description } = describeVariable(declared[name] ?? null);
            const helpId = `var-help-${name}`;
            return (
              <label key={name} className="variable-field">
                <span className="variable-name">{name}</span>
                <input
                  value={draft[name] ?? ''}
                  placeholder={defaultText || '(no default)'}
                  aria-describedby={helpId}
                  spellCheck={false}
                  onChange={(e) => setDraft({ ...draft, [name]: e.target.value })}
                />
                <span id={helpId} className="variable-help">
                  {description ? `${description} · ` : ''}default: {defaultText === '' ? 'none' : <code>{defaultText}</code>}
                </span>
              </label>
            );
          })}
          <div className="variables-actions">
            <button type="submit" className="primary">
              Save
            </button>
            <button type="button" onClick={() => setDraft({})}>
              Use defaults
            </button>
          </div>
        </form>
      )}
    </Modal>
  );
}
