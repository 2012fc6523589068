import { useId, useState, type FormEvent } from 'react';
import { Modal } from '../orchestration/Modal.tsx';
import { useProjectSwitch } from './use-project-switch.ts';
import './projects.css';

/** Open, create or switch projects from the page, as the desktop app's File menu does: recent ones, or a folder path. */
export function ProjectPicker({ onClose }: { onClose(): void }) {
  const { list, listError, state, open, create } = useProjectSwitch();
  const isBusy = state.status === 'switching';
  return (
    <Modal title="Projects" onClose={onClose}>
      {listError && (
        <p className="error-text" role="alert">
          {listError}
        </p>
      )}
      {!list && !listError && (
        <p className="muted" role="status">
          Loading projects…
        </p>
      )}
      {list && (
        <div className="project-picker">
          <p>
            Open now: <code>{list.current}</code>
          </p>
          {!list.canSwitch && (
            <p className="muted" role="note">
              {list.why}
            </p>
          )}
          {list.canSwitch && (
            <>
              {list.recent.length > 0 && (
                <section aria-labelledby="recent-projects-title">
                  <h3 id="recent-projects-title">Recent</h3>
                  <ul className="recent-projects">
                    {list.recent.map((dir) => (
                      <li key={dir}>
                        <button type="button" disabled={isBusy} aria-label={`Open ${dir}`} onClick={() => open(dir)}>
                          {dir}
                        </button>
                      </li>
                    ))}
                  </ul>
                </section>
              )}
              <FolderForm
                label="Open a project folder"
                action="Open"
                placeholder="/home/you/projects/shop (holds pipewright.yaml)"
                isBusy={isBusy}
                error={state.status === 'error' && state.field === 'open' ? state.message : null}
                onSubmit={open}
              />
              <FolderForm
                label="New project in folder"
                action="Create"
                placeholder="/home/you/projects/new-one (new or empty)"
                isBusy={isBusy}
                error={state.status === 'error' && state.field === 'create' ? state.message : null}
                onSubmit={create}
              />
              <p className="muted dialog-note">The open project closes first: running pipelines are cancelled and recorded.</p>
            </>
          )}
          {state.status === 'switching' && (
            <p role="status" aria-label="Switching project">
              Opening {state.dir}…
            </p>
          )}
        </div>
      )}
    </Modal>
  );
}

interface FolderFormProps {
  label: string;
  action: string;
  placeholder: string;
  isBusy: boolean;
  error: string | null;
  onSubmit(dir: string): void;
}

/** A folder path and its button; the server's refusal shows under the field. */
function FolderForm({ label, action, placeholder, isBusy, error, onSubmit }: FolderFormProps) {
  const [dir, setDir] = useState('');
  const errorId = useId();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (dir.trim()) onSubmit(dir.trim());
  };
  return (
    <form className="folder-form" onSubmit={submit}>
      <label className="field">
        <span>{label}</span>
        <span className="folder-row">
          <input
            value={dir}
            spellCheck={false}
            placeholder={placeholder}
            onChange={(e) => setDir(e.target.value)}
            aria-invalid={error !== null}
            {...(error ? { 'aria-describedby': errorId } : {})}
          />
          <button type="submit" disabled={isBusy || !dir.trim()}>
            {action}
          </button>
        </span>
      </label>
      {error && (
        <p id={errorId} className="field-error error-text" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
