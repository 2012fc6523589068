import { useEffect, useId, useRef, useState } from 'react';
import { Modal } from '../orchestration/Modal.tsx';
import { blockNameProblem, type EditProblem } from '../editing/edit-errors.ts';
import type { PendingAdd } from '../editing/use-canvas-session.ts';

interface Props {
  pending: PendingAdd;
  onSubmit(name: string): Promise<EditProblem | null>;
  onClose(): void;
}

/** Asks a new block's name (a free default, selected, so typing replaces it); Enter adds, Escape cancels. */
export function NameBlockDialog({ pending, onSubmit, onClose }: Props) {
  const [name, setName] = useState(pending.defaultName);
  const [problem, setProblem] = useState<string | null>(null);
  const [isBusy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const errorId = useId();
  useEffect(() => {
    // After the modal opens (its own effect runs after this one and would move focus to its first button).
    const timer = setTimeout(() => input.current?.select(), 0);
    return () => clearTimeout(timer);
  }, []);
  const submit = async () => {
    const trimmed = name.trim();
    const invalid = blockNameProblem(trimmed);
    if (invalid) return setProblem(invalid);
    setBusy(true);
    const refused = await onSubmit(trimmed);
    setBusy(false);
    if (refused) return setProblem(refused.text);
    onClose();
  };
  const { kind } = pending;
  return (
    <Modal title={`Add ${kind.title}`} onClose={onClose}>
      <form className="dialog-form" onSubmit={(e) => (e.preventDefault(), void submit())}>
        <label className="field">
          <span>Block name</span>
          <input
            ref={input}
            value={name}
            spellCheck={false}
            onChange={(e) => (setName(e.target.value), setProblem(null))}
            aria-invalid={problem !== null}
            {...(problem ? { 'aria-describedby': errorId } : {})}
          />
        </label>
        {problem && (
          <p id={errorId} className="field-error error-text" role="alert">
            {problem}
          </p>
        )}
        <p className="muted dialog-note">
          Later blocks read its output as the table <code>{name.trim() || '…'}</code>
          {kind.codeExtension ? (
            <>
              ; its code goes to{' '}
              <code>
                blocks/{name.trim() || '…'}
                {kind.codeExtension}
              </code>
            </>
          ) : null}
          .
        </p>
        <div className="dialog-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={isBusy}>
            Add block
          </button>
        </div>
      </form>
    </Modal>
  );
}
