import { useState } from 'react';
import { Modal } from '../orchestration/Modal.tsx';
import { useFormSources } from '../details/use-kinds.ts';
import type { EditProblem } from '../editing/edit-errors.ts';
import { startingConfig, type DestinationField, type ExportTarget } from '../editing/export-blocks.ts';

interface Props {
  blockId: string;
  target: ExportTarget;
  defaultConnections: Record<string, string>;
  projectName: string;
  onSubmit(config: Record<string, unknown>): Promise<EditProblem | null>;
  onClose(): void;
}

/** Connection types that serve each export (a local emulator or server is one of them). */
const FAMILY: Record<string, string[]> = {
  postgres: ['postgres', 'local_postgres'],
  gcs: ['gcs', 'local_gcs'],
  bigquery: ['bigquery', 'local_bigquery'],
};

/** The destination of a one-click export, named and editable before anything is added or run. */
export function ExportDialog({ blockId, target, defaultConnections, projectName, onSubmit, onClose }: Props) {
  const [config, setConfig] = useState(() => startingConfig(target, blockId, defaultConnections, projectName));
  const [problem, setProblem] = useState<EditProblem | null>(null);
  const [isBusy, setBusy] = useState(false);
  const { connections } = useFormSources();
  const family = target.connectionType ? (FAMILY[target.connectionType] ?? []) : [];
  const usable = connections.filter((c) => family.includes(c.type));
  const set = (key: string, value: unknown) => {
    setProblem(null);
    setConfig((c) => {
      const next = { ...c };
      if (value === '' || value === undefined) delete next[key];
      else next[key] = value;
      return next;
    });
  };
  const submit = async () => {
    const missing = target.fields.find((f) => f.kind === 'text' && !f.isOptional && !String(config[f.key] ?? '').trim());
    if (missing) return setProblem({ text: `${missing.label}: give a value.`, field: 'config' });
    setBusy(true);
    const refused = await onSubmit(config);
    setBusy(false);
    if (refused) return setProblem(refused);
    onClose();
  };
  return (
    <Modal title={`Export ${blockId} to ${target.label}`} onClose={onClose}>
      <form className="dialog-form" onSubmit={(e) => (e.preventDefault(), void submit())}>
        {target.connectionType && (
          <label className="field">
            <span>Connection</span>
            <select value={String(config.connection ?? '')} onChange={(e) => set('connection', e.target.value)}>
              <option value="">none (the block's own settings)</option>
              {usable.map((c) => (
                <option key={c.name} value={c.name}>
                  {c.name} ({c.type})
                </option>
              ))}
            </select>
          </label>
        )}
        {target.connectionType && usable.length === 0 && (
          <p className="warning-text dialog-note">
            No {target.label} connection in connections.yaml yet: add one on the Connections screen (a local one needs no account).
          </p>
        )}
        {target.fields.map((field) => (
          <DestinationInput key={field.key} field={field} value={config[field.key]} onChange={(value) => set(field.key, value)} />
        ))}
        <p className="muted dialog-note" role="status" aria-label="Export destination">
          Writes {target.destination(config)}, then runs the export.
        </p>
        {problem && (
          <p className="error-text" role="alert">
            {problem.text}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={isBusy}>
            Export
          </button>
        </div>
      </form>
    </Modal>
  );
}

function DestinationInput({ field, value, onChange }: { field: DestinationField; value: unknown; onChange(value: unknown): void }) {
  if (field.kind === 'checkbox') {
    return (
      <label className="field is-inline">
        <input type="checkbox" checked={value === true} onChange={(e) => onChange(e.target.checked)} />
        <span>{field.label}</span>
      </label>
    );
  }
  return (
    <label className="field">
      <span>{field.label}</span>
      <input
        value={typeof value === 'string' ? value : ''}
        placeholder={field.placeholder}
        spellCheck={false}
        onChange={(e) => onChange(e.target.value)}
      />
    </label>
  );
}
