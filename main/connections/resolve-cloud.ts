import path from 'node:path';
import { UserError, type ErrorPlace } from '../model/errors.ts';
import type { Project } from '../model/project.ts';
import {
  bigqueryProfileSchema,
  gcsProfileSchema,
  localBigqueryProfileSchema,
  localGcsProfileSchema,
  type BigQueryConnection,
  type CloudCredentials,
  type CloudCredentialsSpec,
  type GcsConnection,
} from '../model/connection-profile.ts';
import { LocalEmulator } from './local-emulators.ts';
import { resolveProjectId } from '../cloud/google-settings.ts';
import { parseServiceAccountKey, readServiceAccountKeyFile } from '../cloud/service-account-key.ts';
import { profileIssue, readRef } from './read-ref.ts';
import type { SecretStore } from './secret-store.ts';

const FILE = 'connections.yaml';
/** The project id the emulators are used with when a profile names none. */
export const LOCAL_PROJECT_ID = 'pipewright-local';

type CloudType = 'gcs' | 'bigquery' | 'local_gcs' | 'local_bigquery';

interface CloudResolveEnv {
  project: Project;
  env: NodeJS.ProcessEnv;
  secrets: SecretStore;
  log: ((message: string) => void) | undefined;
}

/** Resolves a gcs, bigquery, local_gcs or local_bigquery profile (fields already merged with overrides). */
export async function resolveCloud(
  name: string,
  type: CloudType,
  merged: Record<string, unknown>,
  opts: CloudResolveEnv,
): Promise<GcsConnection | BigQueryConnection> {
  const fields = { ...merged };
  if (typeof fields.credentials === 'string') fields.credentials = parseCredentialsText(name, fields.credentials);
  if (type === 'local_gcs' || type === 'local_bigquery') return resolveLocal(name, type, fields, opts);
  const schema = type === 'gcs' ? gcsProfileSchema : bigqueryProfileSchema;
  const parsed = schema.safeParse(fields);
  if (!parsed.success) throw profileIssue(name, parsed.error.issues[0]);
  const profile = parsed.data;
  const endpoint = profile.endpoint?.replace(/\/+$/, '');
  const credentials = await resolveCredentials(name, profile.credentials ?? (endpoint ? 'none' : 'adc'), opts);
  if (credentials.kind === 'none' && !endpoint) {
    throw new UserError(
      `${name}.credentials: none only works with an endpoint (an emulator); for Google Cloud use adc, { key_file: … } or { key: { secret: … } }`,
      { file: FILE, path: `${name}.credentials` },
    );
  }
  const keyProject = credentials.kind === 'key' ? credentials.key.project_id : undefined;
  const known =
    profile.project_id ?? keyProject ?? (await keyFileProject(credentials)) ?? (credentials.kind === 'none' ? LOCAL_PROJECT_ID : undefined);
  // ADC without project_id: the project Google's auth library resolves, or a clear stop before any run.
  const projectId =
    known ?? (await resolveProjectId({ projectId: undefined }, { file: FILE, path: `${name}.project_id` }, `connection ${name}`));
  return connection(name, type, projectId, profile.location, endpoint, credentials);
}

async function resolveLocal(
  name: string,
  type: 'local_gcs' | 'local_bigquery',
  fields: Record<string, unknown>,
  opts: CloudResolveEnv,
): Promise<GcsConnection | BigQueryConnection> {
  const parsed = (type === 'local_gcs' ? localGcsProfileSchema : localBigqueryProfileSchema).safeParse(fields);
  if (!parsed.success) throw profileIssue(name, parsed.error.issues[0]);
  const emulator = type === 'local_gcs' ? LocalEmulator.gcs(opts.project.stateDir) : LocalEmulator.bigquery(opts.project.stateDir);
  const { endpoint } = await emulator.ensureRunning(opts.log);
  const location = 'location' in parsed.data ? parsed.data.location : undefined;
  return connection(name, type, parsed.data.project_id ?? LOCAL_PROJECT_ID, location, endpoint, { kind: 'none' });
}

function connection(
  name: string,
  type: CloudType,
  projectId: string | undefined,
  location: string | undefined,
  endpoint: string | undefined,
  credentials: CloudCredentials,
): GcsConnection | BigQueryConnection {
  const where = endpoint ?? (type.includes('bigquery') ? 'BigQuery' : 'Google Cloud Storage');
  const auth =
    credentials.kind === 'key_file' ? `key file ${credentials.path}` : credentials.kind === 'key' ? credentials.source : credentials.kind;
  const label = `project ${projectId ?? '(from ADC)'} at ${where}, credentials ${auth}`;
  const common = { name, projectId, location, endpoint, credentials, label };
  return type === 'gcs' || type === 'local_gcs' ? { ...common, type } : { ...common, type };
}

/** `--conn NAME.credentials=…` and PIPEWRIGHT_CONN_NAME_CREDENTIALS: none, adc, key_file:PATH, secret:NAME or env:VAR. */
function parseCredentialsText(name: string, text: string): CloudCredentialsSpec {
  if (text === 'none' || text === 'adc') return text;
  const match = /^(key_file|secret|env):(.+)$/.exec(text);
  if (!match)
    throw new UserError(`${name}.credentials override '${text}': write none, adc, key_file:PATH, secret:NAME or env:VARIABLE`, {
      path: `${name}.credentials`,
    });
  const [, kind, value = ''] = match;
  if (kind === 'key_file') return { key_file: value };
  return { key: kind === 'secret' ? { secret: value } : { env: value } };
}

async function resolveCredentials(name: string, spec: CloudCredentialsSpec, opts: CloudResolveEnv): Promise<CloudCredentials> {
  if (spec === 'none' || spec === 'adc') return { kind: spec };
  if ('key_file' in spec) {
    const place: ErrorPlace = { file: FILE, path: `${name}.credentials.key_file` };
    const file = path.resolve(opts.project.dir, spec.key_file);
    await readServiceAccountKeyFile(file, spec.key_file, place); // fail here, naming the file, not deep in a client
    return { kind: 'key_file', path: file };
  }
  const place: ErrorPlace = { file: FILE, path: `${name}.credentials.key` };
  const source = 'env' in spec.key ? `environment variable ${spec.key.env}` : `secret ${spec.key.secret}`;
  const text = await readRef(spec.key, place, opts.env, opts.secrets);
  return { kind: 'key', key: parseServiceAccountKey(text, source, place), source };
}

async function keyFileProject(credentials: CloudCredentials): Promise<string | undefined> {
  if (credentials.kind !== 'key_file') return undefined;
  return (await readServiceAccountKeyFile(credentials.path, credentials.path, {})).project_id;
}
