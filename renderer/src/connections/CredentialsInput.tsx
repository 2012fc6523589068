import type { ReactNode } from 'react';
import type { CredentialsView } from '../../../main/api/contract-views.ts';

/** '' keeps the file's default: ADC for Google Cloud, none with an endpoint. */
export type CredentialsMode = '' | 'none' | 'adc' | 'key_file' | 'key';

export interface CredentialsValue {
  mode: CredentialsMode;
  keyFile: string;
  /** Pasted service-account JSON: sent once, then cleared; never filled from the server. */
  json: string;
}

/** The form's starting value for a profile's credentials (never the key itself). */
export function initialCredentials(view: CredentialsView | undefined): CredentialsValue {
  return { mode: view?.mode ?? '', keyFile: view?.mode === 'key_file' ? view.path : '', json: '' };
}

/** Where the stored key is kept, in words; never the key. */
function keyStatus(view: CredentialsView | undefined): string {
  if (view?.mode !== 'key') return 'Paste the whole JSON key file; it is stored in the secret store and never shown again.';
  const key = view.key;
  if (key.kind === 'secret')
    return key.isSet
      ? `A key is stored in the secret store (${key.name}). Leave empty to keep it.`
      : `The secret ${key.name} is not set yet: paste the key.`;
  if (key.kind === 'env') return `Read from the environment variable ${key.variable}. Paste a key to store it instead.`;
  return 'Paste the whole JSON key file; it is stored in the secret store and never shown again.';
}

/** Credentials of a gcs or bigquery profile: none, ADC, a key file path, or service-account JSON pasted once. */
export function CredentialsInput(props: {
  id: string;
  value: CredentialsValue;
  stored: CredentialsView | undefined;
  onChange: (value: CredentialsValue) => void;
  invalid: Record<string, unknown>;
  error: ReactNode;
}) {
  const { id, value, onChange } = props;
  return (
    <div className="form-row credentials-input">
      <label htmlFor={`${id}-credentials`}>Credentials</label>
      <select
        id={`${id}-credentials`}
        value={value.mode}
        onChange={(e) => onChange({ ...value, mode: e.target.value as CredentialsMode })}
        {...(value.mode === '' || value.mode === 'none' || value.mode === 'adc' ? props.invalid : {})}
      >
        <option value="">Default (ADC, or none with an endpoint)</option>
        <option value="none">None (an endpoint without authentication)</option>
        <option value="adc">Application Default Credentials</option>
        <option value="key_file">Service-account key file</option>
        <option value="key">Service-account key (pasted JSON)</option>
      </select>
      {value.mode === 'key_file' && (
        <>
          <label htmlFor={`${id}-key-file`}>Key file path</label>
          <input
            id={`${id}-key-file`}
            value={value.keyFile}
            placeholder="keys/service-account.json (relative to the project)"
            autoComplete="off"
            onChange={(e) => onChange({ ...value, keyFile: e.target.value })}
            {...props.invalid}
          />
        </>
      )}
      {value.mode === 'key' && (
        <>
          <label htmlFor={`${id}-key-json`}>Service-account key JSON</label>
          <textarea
            id={`${id}-key-json`}
            rows={4}
            value={value.json}
            spellCheck={false}
            autoComplete="off"
            aria-describedby={`${id}-key-status`}
            onChange={(e) => onChange({ ...value, json: e.target.value })}
            {...props.invalid}
          />
          <p className="form-hint muted" id={`${id}-key-status`}>
            {keyStatus(props.stored)}
          </p>
        </>
      )}
      {props.error}
    </div>
  );
}
