import { useId, useState, type FormEvent, type ReactNode } from 'react';
import { useApi } from '../api/ApiContext.tsx';
import { toFormError, type FormError } from '../settings/field-errors.ts';
import { ConnectionTest } from './ConnectionTest.tsx';
import { CONNECTION_TYPES, FIELDS, hasCredentials, toEditableType, type EditableType } from './connection-types.ts';
import { CredentialsInput, initialCredentials } from './CredentialsInput.tsx';
import './connections.css';
import type { ConnectionView } from './use-connections.ts';

const SSL_MODES = ['', 'disable', 'require', 'verify-full'];

function initialFields(connection: ConnectionView | null): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [key, field] of Object.entries(connection?.fields ?? {})) if (field.kind === 'value') values[key] = field.value;
  return values;
}

/** The password's status in words: where it is kept, never what it is. */
function passwordStatus(connection: ConnectionView | null): string {
  const field = connection?.fields.password;
  if (!field) return 'No password stored.';
  if (field.kind === 'secret')
    return field.isSet ? 'A password is stored in the secret store. Leave empty to keep it.' : `The secret ${field.name} is not set yet.`;
  if (field.kind === 'env') return `Read from the environment variable ${field.variable}. Type one to store it instead.`;
  return 'The file holds it as plain text: type it again to move it to the secret store.';
}

/** Creates or edits one profile (Postgres, GCS, BigQuery or a local one); a password or key goes to the secret store, never back to the screen. */
export function ConnectionForm(props: { connection: ConnectionView | null; onSaved: (name: string) => void; onDeleted: () => void }) {
  const { connection } = props;
  const api = useApi();
  const formId = useId();
  const [name, setName] = useState(connection?.name ?? '');
  const [type, setType] = useState<EditableType>(toEditableType(connection?.type));
  const [fields, setFields] = useState(() => initialFields(connection));
  const [password, setPassword] = useState('');
  const [credentials, setCredentials] = useState(() => initialCredentials(connection?.credentials));
  const [error, setError] = useState<FormError | null>(null);
  const [notice, setNotice] = useState('');
  const [isBusy, setIsBusy] = useState(false);

  if (connection && !connection.isEditable) {
    return (
      <p className="muted">
        {connection.name} is a {connection.type} connection: edit it in connections.yaml. It can still be tested here.
        <ConnectionTest name={connection.name} />
      </p>
    );
  }
  const fieldNames = ['name', 'password', 'credentials', ...FIELDS[type].map((f) => f.name)];
  const save = async (event: FormEvent) => {
    event.preventDefault();
    setIsBusy(true);
    setError(null);
    setNotice('');
    try {
      const shown = Object.fromEntries(FIELDS[type].map((f) => [f.name, fields[f.name] ?? '']));
      await api.call('connections.save', {
        name,
        type,
        fields: shown,
        ...(connection ? { previousName: connection.name } : {}),
        ...(password !== '' && type === 'postgres' ? { password: { value: password } } : {}),
        ...(hasCredentials(type) && credentials.mode !== ''
          ? { credentials: { mode: credentials.mode, keyFile: credentials.keyFile, json: credentials.json } }
          : {}),
      });
      setPassword('');
      setCredentials({ ...credentials, json: '' });
      setNotice(`Saved ${name}.`);
      props.onSaved(name);
    } catch (e) {
      setError(toFormError(e, fieldNames));
    } finally {
      setIsBusy(false);
    }
  };
  const remove = async () => {
    if (!connection || !window.confirm(`Delete the connection ${connection.name}?`)) return;
    try {
      await api.call('connections.delete', { name: connection.name });
      props.onDeleted();
    } catch (e) {
      setError(toFormError(e, []));
    }
  };
  const errorAt = (field: string) =>
    error?.field === field ? (
      <p className="form-error" id={`${formId}-${field}-error`} role="alert">
        {error.message}
      </p>
    ) : null;
  const input = (field: string, label: string, control: ReactNode) => (
    <div className="form-row" key={field}>
      <label htmlFor={`${formId}-${field}`}>{label}</label>
      {control}
      {errorAt(field)}
    </div>
  );
  const invalid = (field: string) =>
    error?.field === field ? { 'aria-invalid': true, 'aria-describedby': `${formId}-${field}-error` } : {};

  return (
    <form
      className="connection-form"
      aria-label={connection ? `Connection ${connection.name}` : 'New connection'}
      onSubmit={(e) => void save(e)}
      noValidate
    >
      <h3>{connection ? `Edit ${connection.name}` : 'New connection'}</h3>
      {input(
        'name',
        'Name',
        <input id={`${formId}-name`} value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" {...invalid('name')} />,
      )}
      {input(
        'type',
        'Type',
        <select id={`${formId}-type`} value={type} onChange={(e) => setType(e.target.value as EditableType)}>
          {Object.entries(CONNECTION_TYPES).map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>,
      )}
      {FIELDS[type].map((f) =>
        input(
          f.name,
          f.label,
          f.name === 'ssl_mode' ? (
            <select
              id={`${formId}-${f.name}`}
              value={fields[f.name] ?? ''}
              onChange={(e) => setFields({ ...fields, [f.name]: e.target.value })}
            >
              {SSL_MODES.map((mode) => (
                <option key={mode} value={mode}>
                  {mode || 'default (disable)'}
                </option>
              ))}
            </select>
          ) : (
            <input
              id={`${formId}-${f.name}`}
              value={fields[f.name] ?? ''}
              placeholder={f.placeholder}
              autoComplete="off"
              onChange={(e) => setFields({ ...fields, [f.name]: e.target.value })}
              {...invalid(f.name)}
            />
          ),
        ),
      )}
      {type === 'postgres' &&
        input(
          'password',
          'Password',
          <>
            <input
              id={`${formId}-password`}
              type="password"
              value={password}
              autoComplete="new-password"
              aria-describedby={`${formId}-password-status`}
              onChange={(e) => setPassword(e.target.value)}
            />
            <p className="form-hint muted" id={`${formId}-password-status`}>
              {passwordStatus(connection)}
            </p>
          </>,
        )}
      {hasCredentials(type) && (
        <CredentialsInput
          id={formId}
          value={credentials}
          stored={connection?.credentials}
          onChange={setCredentials}
          invalid={invalid('credentials')}
          error={errorAt('credentials')}
        />
      )}
      {error && error.field === null && (
        <p className="form-error" role="alert">
          {error.message}
        </p>
      )}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={isBusy}>
          {isBusy ? 'Saving…' : 'Save connection'}
        </button>
        {connection && (
          <button type="button" onClick={() => void remove()}>
            Delete connection
          </button>
        )}
        <span role="status" className="muted">
          {notice}
        </span>
      </div>
      {connection && <ConnectionTest name={connection.name} />}
    </form>
  );
}
