import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isScalar, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { UserError } from '../model/errors.ts';
import { CONNECTIONS_FILE } from '../project/load-project.ts';
import type { Project } from '../model/project.ts';
import {
  bigqueryProfileSchema,
  gcsProfileSchema,
  localBigqueryProfileSchema,
  localGcsProfileSchema,
  localPostgresProfileSchema,
  postgresProfileSchema,
  secretRefSchema,
} from '../model/connection-profile.ts';
import type { SecretStore } from './secret-store.ts';
import { parseServiceAccountKey } from '../cloud/service-account-key.ts';

/** How a field of a profile is shown: its value, or where its value comes from. Secret values are never shown. */
export type FieldView =
  | { kind: 'value'; value: string }
  | { kind: 'env'; variable: string }
  | { kind: 'secret'; name: string; isSet: boolean }
  /** A plain-text password in the file (refused at run time): shown only as present. */
  | { kind: 'plain-secret' };

/** How a cloud profile authenticates, as the form shows it: the key itself never, only where it is kept. */
export type CredentialsView = { mode: 'none' | 'adc' } | { mode: 'key_file'; path: string } | { mode: 'key'; key: FieldView };

export interface ConnectionView {
  name: string;
  type: string;
  /** Whether the form can edit it without losing a field; others are edited in connections.yaml. */
  isEditable: boolean;
  /** Connector families (`postgres`, `gcs`, …) whose default connection this is. */
  defaultFor: string[];
  fields: Record<string, FieldView>;
  /** gcs and bigquery profiles that name their credentials. */
  credentials?: CredentialsView;
}

/** Fields the connections screen edits, per type; `password` and `credentials` are never among them (they have their own inputs). */
export const EDITABLE_FIELDS = {
  postgres: ['host', 'port', 'database', 'user', 'ssl_mode', 'schema'],
  local_postgres: ['database', 'schema'],
  gcs: ['project_id', 'location', 'endpoint'],
  bigquery: ['project_id', 'location', 'endpoint'],
  local_gcs: ['project_id'],
  local_bigquery: ['project_id', 'location'],
} as const;
type EditableType = keyof typeof EDITABLE_FIELDS;
const EDITABLE_TYPES = Object.keys(EDITABLE_FIELDS) as [EditableType, ...EditableType[]];

const PROFILE_SCHEMAS: Record<EditableType, z.ZodType> = {
  postgres: postgresProfileSchema,
  local_postgres: localPostgresProfileSchema,
  gcs: gcsProfileSchema,
  bigquery: bigqueryProfileSchema,
  local_gcs: localGcsProfileSchema,
  local_bigquery: localBigqueryProfileSchema,
};
const hasCredentials = (type: EditableType) => type === 'gcs' || type === 'bigquery';

const SECRET_FIELDS = new Set(['password', 'key']);

/** Every profile of connections.yaml as the connections screen shows it: references and "set", never secret values. */
export async function describeConnections(project: Project, secrets: SecretStore): Promise<ConnectionView[]> {
  const stored = new Set(await secrets.names());
  const defaults = Object.entries(project.settings.default_connections ?? {});
  return Object.entries(project.connections).map(([name, profile]) => {
    const credentials = viewCredentials((profile as { credentials?: unknown }).credentials, stored);
    return {
      name,
      type: profile.type,
      isEditable: isEditableProfile(profile),
      defaultFor: defaults.filter(([, conn]) => conn === name).map(([family]) => family),
      fields: Object.fromEntries(
        Object.entries(profile)
          .filter(([key]) => key !== 'type')
          .map(([key, value]) => [key, viewField(key, value, stored)]),
      ),
      ...(credentials ? { credentials } : {}),
    };
  });
}

/** Whether the form has an input for every field of the profile (saving drops fields it lacks, such as a postgres `url`). */
function isEditableProfile(profile: { type: string }): boolean {
  if (!(profile.type in EDITABLE_FIELDS)) return false;
  const known = new Set<string>(['type', 'password', 'credentials', ...EDITABLE_FIELDS[profile.type as EditableType]]);
  return Object.keys(profile).every((field) => known.has(field));
}

function viewCredentials(value: unknown, stored: Set<string>): CredentialsView | undefined {
  if (value === 'none' || value === 'adc') return { mode: value };
  if (typeof value !== 'object' || value === null) return undefined;
  if ('key_file' in value) return { mode: 'key_file', path: String(value.key_file) };
  if ('key' in value) return { mode: 'key', key: viewField('key', value.key, stored) };
  return undefined;
}

function viewField(key: string, value: unknown, stored: Set<string>): FieldView {
  if (key === 'credentials' && typeof value === 'object' && value !== null && 'key' in value) return viewField('key', value.key, stored);
  const ref = secretRefSchema.safeParse(value);
  if (ref.success)
    return 'env' in ref.data
      ? { kind: 'env', variable: ref.data.env }
      : { kind: 'secret', name: ref.data.secret, isSet: stored.has(ref.data.secret) };
  if (SECRET_FIELDS.has(key)) return { kind: 'plain-secret' };
  return { kind: 'value', value: typeof value === 'string' ? value : JSON.stringify(value) };
}

export const saveConnectionInput = z.strictObject({
  /** The profile's name now; with `previousName`, a rename. */
  name: z.string().min(1).max(63),
  previousName: z.string().min(1).max(63).optional(),
  type: z.enum(EDITABLE_TYPES),
  /** Plain (non-secret) fields; empty strings remove the field. */
  fields: z.record(z.string(), z.string().max(2000)).default({}),
  /** A new password (stored in the secret store), an env variable to read it from, or absent: keep what is there. */
  password: z
    .union([z.strictObject({ value: z.string().min(1).max(10_000) }), z.strictObject({ env: z.string().min(1).max(200) })])
    .optional(),
  /**
   * gcs and bigquery only: how to authenticate. `key` with `json` stores pasted service-account JSON in the secret
   * store; `key` without it keeps the stored key. Absent: keep what is there.
   */
  credentials: z
    .strictObject({
      mode: z.enum(['none', 'adc', 'key_file', 'key']),
      keyFile: z.string().max(1000).optional(),
      json: z.string().max(100_000).optional(),
    })
    .optional(),
});
export type SaveConnectionInput = z.infer<typeof saveConnectionInput>;

/**
 * Creates or edits one profile of connections.yaml, keeping the file's comments and layout (yaml Document API). A
 * password typed in goes to the secret store and the file gets a `{ secret: NAME }` reference; the file never holds
 * it. The whole profile is validated first; a bad field fails naming it (place.path) and nothing is written.
 */
export async function saveConnection(project: Project, secrets: SecretStore, input: SaveConnectionInput): Promise<void> {
  const place = (field: string) => ({ file: CONNECTIONS_FILE, path: field });
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(input.name))
    throw new UserError('a name takes letters, digits and _ only, not starting with a digit', place('name'));
  const isRename = input.previousName !== undefined && input.previousName !== input.name;
  if ((input.previousName === undefined || isRename) && project.connections[input.name]) {
    throw new UserError(`a connection named ${input.name} already exists`, place('name'));
  }
  const defaultFor = Object.entries(project.settings.default_connections ?? {}).filter(([, conn]) => conn === input.previousName);
  if (isRename && defaultFor.length) {
    throw new UserError(
      `${input.previousName} is the project's default ${defaultFor.map(([family]) => family).join(' and ')} connection: rename it in pipewright.yaml's default_connections too, in an editor`,
      place('name'),
    );
  }
  const doc = await readConnectionsDocument(project.dir);
  const previousNode = input.previousName ? (doc.get(input.previousName) as unknown) : undefined;
  const previous = isMap(previousNode) ? (previousNode.toJSON() as Record<string, unknown>) : {};
  const profile = buildProfile(input, previous.password);
  const pastedKey = hasCredentials(input.type) ? applyCredentials(input, previous.credentials, profile) : undefined;
  checkProfile(input.type, profile, place);
  if (input.password && 'value' in input.password) await secrets.set(secretNameOf(input.name), input.password.value);
  if (pastedKey !== undefined) await secrets.set(keySecretNameOf(input.name), pastedKey);
  writeProfile(doc, input, profile);
  await writeConnectionsDocument(project.dir, doc);
}

function buildProfile(input: SaveConnectionInput, previousPassword: unknown): Record<string, unknown> {
  const allowed = new Set<string>(EDITABLE_FIELDS[input.type]);
  const profile: Record<string, unknown> = { type: input.type };
  for (const [field, raw] of Object.entries(input.fields)) {
    if (!allowed.has(field))
      throw new UserError(`${input.type} connections have no field ${field}`, { file: CONNECTIONS_FILE, path: field });
    const value = raw.trim();
    if (value !== '') profile[field] = field === 'port' && /^\d+$/.test(value) ? Number(value) : value;
  }
  if (input.type === 'postgres') {
    if (input.password) profile.password = 'value' in input.password ? { secret: secretNameOf(input.name) } : { env: input.password.env };
    else if (previousPassword !== undefined) profile.password = previousPassword;
  }
  return profile;
}

/**
 * Sets `profile.credentials` from the form (or keeps the previous value) and returns pasted key JSON to store, already
 * validated, so a bad paste fails at the field before anything is written.
 */
function applyCredentials(input: SaveConnectionInput, previous: unknown, profile: Record<string, unknown>): string | undefined {
  const place = { file: CONNECTIONS_FILE, path: 'credentials' };
  const chosen = input.credentials;
  if (!chosen) {
    if (previous !== undefined) profile.credentials = previous;
    return undefined;
  }
  if (chosen.mode === 'none' || chosen.mode === 'adc') {
    profile.credentials = chosen.mode;
    return undefined;
  }
  if (chosen.mode === 'key_file') {
    const file = chosen.keyFile?.trim() ?? '';
    if (file === '')
      throw new UserError('credentials: give the path of the service-account key file (relative to the project folder)', place);
    profile.credentials = { key_file: file };
    return undefined;
  }
  const json = chosen.json?.trim() ?? '';
  const hasStoredKey = typeof previous === 'object' && previous !== null && 'key' in previous;
  if (json === '') {
    if (!hasStoredKey)
      throw new UserError('credentials: paste the service-account key JSON (IAM → Service accounts → Keys → Add key → JSON)', place);
    profile.credentials = previous;
    return undefined;
  }
  parseServiceAccountKey(json, 'the pasted key', place);
  profile.credentials = { key: { secret: keySecretNameOf(input.name) } };
  return json;
}

function checkProfile(
  type: EditableType,
  profile: Record<string, unknown>,
  place: (field: string) => { file: string; path: string },
): void {
  const parsed = PROFILE_SCHEMAS[type].safeParse(profile);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = String(issue?.path[0] ?? 'type');
    throw new UserError(`${field}: ${issue?.message ?? 'invalid'}`, place(field));
  }
  if (type === 'postgres' && profile.host === undefined) throw new UserError('host: a server to connect to is needed', place('host'));
}

/** Puts the profile at its name, in place of the old entry (a rename keeps its position and the comments above). */
function writeProfile(doc: Document, input: SaveConnectionInput, profile: Record<string, unknown>): void {
  const key = input.previousName ?? input.name;
  const existing = doc.get(key, true) as unknown;
  if (isMap(existing)) {
    for (const item of [...existing.items]) {
      const field = isScalar(item.key) ? String(item.key.value) : String(item.key);
      if (!(field in profile)) existing.delete(field);
    }
    for (const [field, value] of Object.entries(profile)) existing.set(field, doc.createNode(value, { flow: typeof value === 'object' }));
    const root = doc.contents;
    if (key !== input.name && isMap(root)) {
      // The key node is renamed, not replaced: the comments above the profile hang on it.
      const pair = root.items.find((p) => isScalar(p.key) && p.key.value === key);
      if (pair && isScalar(pair.key)) pair.key.value = input.name;
    }
    return;
  }
  const node = doc.createNode(profile);
  // References read best on one line: `password: { secret: pg_password }`.
  for (const item of node.items) if (isMap(item.value)) item.value.flow = true;
  doc.set(input.name, node);
}

/** Removes a profile (and the secret the screens stored for it). A project default cannot be deleted. */
export async function deleteConnection(project: Project, secrets: SecretStore, name: string): Promise<void> {
  if (!project.connections[name]) throw new UserError(`no connection named ${name}`, { file: CONNECTIONS_FILE, path: name });
  const defaultFor = Object.entries(project.settings.default_connections ?? {})
    .filter(([, conn]) => conn === name)
    .map(([family]) => family);
  if (defaultFor.length) {
    throw new UserError(
      `${name} is the project's default ${defaultFor.join(' and ')} connection: choose another default in pipewright.yaml first`,
      { file: CONNECTIONS_FILE, path: name },
    );
  }
  const doc = await readConnectionsDocument(project.dir);
  doc.delete(name);
  await writeConnectionsDocument(project.dir, doc);
  await secrets.delete(secretNameOf(name));
  await secrets.delete(keySecretNameOf(name));
}

/** The secret-store name of a password typed into the connections screen. */
export function secretNameOf(connection: string): string {
  return `${connection}_password`;
}

/** The secret-store name of a service-account key pasted into the connections screen. */
export function keySecretNameOf(connection: string): string {
  return `${connection}_key`;
}

async function readConnectionsDocument(dir: string): Promise<Document> {
  const text = await readFile(path.join(dir, CONNECTIONS_FILE), 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  const doc: Document = parseDocument(text);
  if (doc.errors.length)
    throw new UserError(`${CONNECTIONS_FILE} does not parse (${doc.errors[0]?.message ?? ''}): fix it in an editor first`, {
      file: CONNECTIONS_FILE,
    });
  if (doc.contents === null) doc.contents = doc.createNode({});
  // An empty `{}` (what `init` writes) would keep every profile on one line: profiles read best as blocks.
  if (isMap(doc.contents) && doc.contents.items.length === 0) doc.contents.flow = false;
  return doc;
}

async function writeConnectionsDocument(dir: string, doc: Document): Promise<void> {
  const file = path.join(dir, CONNECTIONS_FILE);
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, doc.toString(), 'utf8');
  await rename(tmp, file);
}
