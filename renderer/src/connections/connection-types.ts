/** The connection types the form edits, with their labels and plain fields (secrets have their own inputs). */
export const CONNECTION_TYPES = {
  postgres: 'Postgres server',
  local_postgres: 'Local Postgres (started by Pipewright)',
  gcs: 'Google Cloud Storage',
  bigquery: 'BigQuery',
  local_gcs: 'Local GCS emulator (started by Pipewright)',
  local_bigquery: 'Local BigQuery emulator (started by Pipewright)',
} as const;
export type EditableType = keyof typeof CONNECTION_TYPES;

export interface FieldSpec {
  name: string;
  label: string;
  placeholder?: string;
}

const projectId: FieldSpec = { name: 'project_id', label: 'Project ID', placeholder: 'from the key, or ADC’s project' };
const endpoint: FieldSpec = { name: 'endpoint', label: 'Endpoint', placeholder: 'empty for Google Cloud' };
const localProjectId: FieldSpec = { name: 'project_id', label: 'Project ID', placeholder: 'pipewright-local' };

/** Plain fields per type, in form order; the names are connections.yaml's. */
export const FIELDS: Record<EditableType, FieldSpec[]> = {
  postgres: [
    { name: 'host', label: 'Host', placeholder: 'localhost' },
    { name: 'port', label: 'Port', placeholder: '5432' },
    { name: 'database', label: 'Database' },
    { name: 'user', label: 'User' },
    { name: 'ssl_mode', label: 'SSL mode' },
    { name: 'schema', label: 'Default schema', placeholder: 'public' },
  ],
  local_postgres: [
    { name: 'database', label: 'Database', placeholder: 'pipewright' },
    { name: 'schema', label: 'Default schema', placeholder: 'public' },
  ],
  gcs: [projectId, { name: 'location', label: 'Bucket location', placeholder: 'EU, US, europe-west1…' }, endpoint],
  bigquery: [projectId, { name: 'location', label: 'Location', placeholder: 'EU, US, europe-west1…' }, endpoint],
  local_gcs: [localProjectId],
  local_bigquery: [localProjectId, { name: 'location', label: 'Location', placeholder: 'US' }],
};

/** Whether the type authenticates with cloud credentials (the local emulators need none). */
export function hasCredentials(type: EditableType): boolean {
  return type === 'gcs' || type === 'bigquery';
}

/** The form's type for a profile's type; unknown types are not editable and never reach the form. */
export function toEditableType(type: string | undefined): EditableType {
  return type !== undefined && type in CONNECTION_TYPES ? (type as EditableType) : 'postgres';
}
