import { useEffect, useId, useState, type FormEvent } from 'react';
import { useApi } from '../api/ApiContext.tsx';
import { toFormError, type FormError } from './field-errors.ts';

interface EngineForm {
  threads: string;
  memory_limit: string;
  concurrency: string;
  retries: string;
}
interface SettingsReply {
  engine: EngineForm;
  secretStore: { description: string; isOsKeychain: boolean };
}

const FIELDS: { name: keyof EngineForm; label: string; hint: string }[] = [
  { name: 'threads', label: 'DuckDB threads', hint: 'Empty: one per core.' },
  { name: 'memory_limit', label: 'DuckDB memory limit', hint: 'A size such as 512MB or 4GB. Empty: DuckDB’s default (80% of RAM).' },
  { name: 'concurrency', label: 'Blocks run at once', hint: 'Per run. Empty: 4.' },
  { name: 'retries', label: 'Default retries', hint: 'Attempts after the first when a block fails for a reason worth retrying.' },
];

/** Project settings: pipewright.yaml's engine section, with the server's validation errors shown at their field. */
export function SettingsScreen() {
  const api = useApi();
  const formId = useId();
  const [form, setForm] = useState<EngineForm | null>(null);
  const [secretStore, setSecretStore] = useState<SettingsReply['secretStore'] | null>(null);
  const [error, setError] = useState<FormError | null>(null);
  const [notice, setNotice] = useState('');
  const [isSaving, setIsSaving] = useState(false);

  useEffect(() => {
    api.call('settings.get').then(
      (reply) => {
        setForm(reply.engine);
        setSecretStore(reply.secretStore);
      },
      (e: unknown) => setError(toFormError(e, [])),
    );
  }, [api]);

  const save = async (event: FormEvent) => {
    event.preventDefault();
    if (!form) return;
    setIsSaving(true);
    setError(null);
    setNotice('');
    try {
      const reply = await api.call('settings.save', { engine: form });
      setForm(reply.engine);
      setNotice('Saved to pipewright.yaml. DuckDB threads and memory limit apply the next time the project opens.');
    } catch (e) {
      setError(
        toFormError(
          e,
          FIELDS.map((f) => f.name),
        ),
      );
    } finally {
      setIsSaving(false);
    }
  };

  if (!form)
    return (
      <p className="muted" role="status">
        {error ? error.message : 'Loading settings…'}
      </p>
    );
  return (
    <section className="screen" aria-labelledby={`${formId}-title`}>
      <h2 id={`${formId}-title`}>Project settings</h2>
      <form className="settings-form" onSubmit={(e) => void save(e)} noValidate>
        {FIELDS.map((field) => {
          const id = `${formId}-${field.name}`;
          const fieldError = error?.field === field.name ? error.message : null;
          return (
            <div className="form-row" key={field.name}>
              <label htmlFor={id}>{field.label}</label>
              <input
                id={id}
                name={field.name}
                value={form[field.name]}
                inputMode={field.name === 'memory_limit' ? 'text' : 'numeric'}
                aria-invalid={fieldError ? true : undefined}
                aria-describedby={`${id}-hint${fieldError ? ` ${id}-error` : ''}`}
                onChange={(e) => setForm({ ...form, [field.name]: e.target.value })}
              />
              <p className="form-hint muted" id={`${id}-hint`}>
                {field.hint}
              </p>
              {fieldError && (
                <p className="form-error" id={`${id}-error`} role="alert">
                  {fieldError}
                </p>
              )}
            </div>
          );
        })}
        {error && error.field === null && (
          <p className="form-error" role="alert">
            {error.message}
          </p>
        )}
        <div className="form-actions">
          <button type="submit" className="primary" disabled={isSaving}>
            {isSaving ? 'Saving…' : 'Save settings'}
          </button>
          <span role="status" className="muted">
            {notice}
          </span>
        </div>
      </form>
      {secretStore && (
        <p className={secretStore.isOsKeychain ? 'muted' : 'form-warning'}>Connection secrets are kept with {secretStore.description}.</p>
      )}
    </section>
  );
}
