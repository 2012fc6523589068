import { useState } from 'react';
import { ConnectionForm } from './ConnectionForm.tsx';
import { useConnections, type ConnectionView, type CredentialsView, type FieldView } from './use-connections.ts';

/** What the list shows for a field: its value, or where the value comes from (never a secret). */
function describeField(field: FieldView): string {
  switch (field.kind) {
    case 'value':
      return field.value;
    case 'env':
      return `from $${field.variable}`;
    case 'secret':
      return field.isSet ? 'set (secret store)' : `not set (secret ${field.name})`;
    case 'plain-secret':
      return 'in the file as plain text: save the connection to move it to the secret store';
  }
}

/** How a cloud profile authenticates, in words (a stored key only as "set"). */
function describeCredentials(credentials: CredentialsView): string {
  switch (credentials.mode) {
    case 'none':
      return 'none';
    case 'adc':
      return 'Application Default Credentials';
    case 'key_file':
      return `key file ${credentials.path}`;
    case 'key':
      return `key ${describeField(credentials.key)}`;
  }
}

/** Connection profiles of connections.yaml: a list on the left, the selected (or new) profile's form on the right. */
export function ConnectionsScreen() {
  const { connections, error, reload } = useConnections();
  const [selected, setSelected] = useState<string | 'new' | null>(null);
  const current = connections?.find((c) => c.name === selected) ?? null;
  return (
    <section className="screen connections-screen" aria-labelledby="connections-title">
      <div className="connections-list">
        <div className="screen-head">
          <h2 id="connections-title">Connections</h2>
          <button type="button" className="primary" onClick={() => setSelected('new')}>
            New connection
          </button>
        </div>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        {connections?.length === 0 && <p className="muted">No connections yet: add one with New connection.</p>}
        <ul aria-label="Connection profiles">
          {connections?.map((c) => (
            <li key={c.name}>
              <button
                type="button"
                className="connection-item"
                aria-current={c.name === selected ? 'true' : undefined}
                onClick={() => setSelected(c.name)}
              >
                <span className="connection-name">{c.name}</span>
                <span className="muted">
                  {' '}
                  {c.type}
                  {c.defaultFor.length ? ` · default for ${c.defaultFor.join(', ')}` : ''}
                </span>
                <ConnectionSummary connection={c} />
              </button>
            </li>
          ))}
        </ul>
      </div>
      <div className="connection-detail">
        {selected === 'new' && (
          <ConnectionForm
            key="new"
            connection={null}
            onSaved={(name) => void reload().then(() => setSelected(name))}
            onDeleted={() => undefined}
          />
        )}
        {current && (
          <ConnectionForm
            key={current.name}
            connection={current}
            onSaved={(name) => void reload().then(() => setSelected(name))}
            onDeleted={() => void reload().then(() => setSelected(null))}
          />
        )}
        {selected === null && <p className="muted">Select a connection to edit or test it, or add a new one.</p>}
      </div>
    </section>
  );
}

function ConnectionSummary({ connection }: { connection: ConnectionView }) {
  const entries = Object.entries(connection.fields);
  if (entries.length === 0) return null;
  return (
    <span className="connection-summary muted">
      {entries
        .map(
          ([key, field]) =>
            `${key}: ${key === 'credentials' && connection.credentials ? describeCredentials(connection.credentials) : describeField(field)}`,
        )
        .join(' · ')}
    </span>
  );
}
