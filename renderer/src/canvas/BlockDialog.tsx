import { useState } from 'react';

interface Props {
  blockId: string;
  config: Record<string, unknown>;
  onSave(newId: string, config: Record<string, unknown>): Promise<boolean>;
  onClose(): void;
}

/** A block's name and config as JSON: the minimal editor every kind has, whatever forms exist elsewhere. */
export function BlockDialog({ blockId, config, onSave, onClose }: Props) {
  const [name, setName] = useState(blockId);
  const [text, setText] = useState(() => JSON.stringify(config, null, 2));
  const [problem, setProblem] = useState<string | null>(null);
  const save = async () => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      return setProblem(`The config is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return setProblem('The config must be a JSON object: { "key": value, … }');
    setProblem(null);
    if (await onSave(name.trim(), parsed as Record<string, unknown>)) onClose();
  };
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
          <input value={name} onChange={(e) => setName(e.target.value)} spellCheck={false} autoFocus />
        </label>
        <label className="field">
          <span>Config (JSON)</span>
          <textarea value={text} onChange={(e) => setText(e.target.value)} rows={12} spellCheck={false} aria-label="Config JSON" />
        </label>
        {problem && <p className="error-text" role="alert">{problem}</p>}
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>Cancel</button>
          <button type="button" className="primary" onClick={() => void save()}>Save</button>
        </div>
      </div>
    </div>
  );
}
