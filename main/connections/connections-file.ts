import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isMap, isScalar, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { UserError } from '../errors.ts';
import { CONNECTIONS_FILE } from '../project/load-project.ts';
import type { Project } from '../project/model.ts';
import { localPostgresProfileSchema, postgresProfileSchema, secretRefSchema } from './connection-profile.ts';
import type { SecretStore } from './secret-store.ts';

/** How a field of a profile is shown: its value, or where its value comes from. Secret values are never shown. */
export type FieldView =
  | { kind: 'value'; value: string }
  | { kind: 'env'; variable: string }
  | { kind: 'secret'; name: string; isSet: boolean }
  /** A plain-text password in the file (refused at run time): shown only as present. */
  | { kind: 'plain-secret' };

export interface ConnectionView {
  name: string;
  type: string;
  /** Whether the UI can edit it (postgres and local_postgres); other types are edited in connections.yaml. */
  isEditable: boolean;
  /** Connector families (`postgres`, `gcs`, …) whose default connection this is. */
  defaultFor: string[];
  fields: Record<string, FieldView>;
}

/** Fields the connections screen edits, per type; `password` is never among them (it has its own input). */
export const EDITABLE_FIELDS = {
  postgres: ['host', 'port', 'database', 'user', 'ssl_mode', 'schema'],
  local_postgres: ['database', 'schema'],
} as const;
type EditableType = keyof typeof EDITABLE_FIELDS;

const SECRET_FIELDS = new Set(['password']);

/** Every profile of connections.yaml as the connections screen shows it: references and "set", never secret values. */
export async function describeConnections(project: Project, secrets: SecretStore): Promise<ConnectionView[]> {
  const stored = new Set(await secrets.names());
  const defaults = Object.entries(project.settings.default_connections ?? {});
  return Object.entries(project.connections).map(([name, profile]) => ({
    name,
    type: profile.type,
    isEditable: profile.type in EDITABLE_FIELDS,
    defaultFor: defaults.filter(([, conn]) => conn === name).map(([family]) => family),
    fields: Object.fromEntries(Object.entries(profile).filter(([key]) => key !== 'type').map(([key, value]) => [key, viewField(key, value, stored)])),
  }));
}

function viewField(key: string, value: unknown, stored: Set<string>): FieldView {
  const ref = secretRefSchema.safeParse(value);
  if (ref.success) return 'env' in ref.data ? { kind: 'env', variable: ref.data.env } : { kind: 'secret', name: ref.data.secret, isSet: stored.has(ref.data.secret) };
  if (SECRET_FIELDS.has(key)) return { kind: 'plain-secret' };
  return { kind: 'value', value: typeof value === 'string' ? value : JSON.stringify(value) };
}

export const saveConnectionInput = z.strictObject({
  /** The profile's name now; with `previousName`, a rename. */
  name: z.string().min(1).max(63),
  previousName: z.string().min(1).max(63).optional(),
  type: z.enum(['postgres', 'local_postgres']),
  /** Plain (non-secret) fields; empty strings remove the field. */
  fields: z.record(z.string(), z.string().max(2000)).default({}),
  /** A new password (stored in the secret store), an env variable to read it from, or absent: keep what is there. */
  password: z.union([z.strictObject({ value: z.string().min(1).max(10_000) }), z.strictObject({ env: z.string().min(1).max(200) })]).optional(),
});
export type SaveConnectionInput = z.infer<typeof saveConnectionInput>;

/**
 * Creates or edits one profile of connections.yaml, keeping the file's comments and layout (yaml Document API). A
 * password typed in goes to the secret store and the file gets a `{ secret: NAME }` reference; the file never holds
 * it. The whole profile is validated first; a bad field fails naming it (place.path) and nothing is written.
 */
export async function saveConnection(project: Project, secrets: SecretStore, input: SaveConnectionInput): Promise<void> {
  const place = (field: string) => ({ file: CONNECTIONS_FILE, path: field });
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(input.name)) throw new UserError('a name takes letters, digits and _ only, not starting with a digit', place('name'));
  const isRename = input.previousName !== undefined && input.previousName !== input.name;
  if ((input.previousName === undefined || isRename) && project.connections[input.name]) {
    throw new UserError(`a connection named ${input.name} already exists`, place('name'));
  }
  const defaultFor = Object.entries(project.settings.default_connections ?? {}).filter(([, conn]) => conn === input.previousName);
  if (isRename && defaultFor.length) {
    throw new UserError(`${input.previousName} is the project's default ${defaultFor.map(([family]) => family).join(' and ')} connection: rename it in pipewright.yaml's default_connections too, in an editor`, place('name'));
  }
  const doc = await readConnectionsDocument(project.dir);
  const previous = input.previousName ? (doc.get(input.previousName) as unknown) : undefined;
  const previousPassword = isMap(previous) ? (previous.toJSON() as Record<string, unknown>).password : undefined;
  const profile = buildProfile(input, previousPassword);
  checkProfile(input.type, profile, place);
  if (input.password && 'value' in input.password) await secrets.set(secretNameOf(input.name), input.password.value);
  writeProfile(doc, input, profile);
  await writeConnectionsDocument(project.dir, doc);
}

function buildProfile(input: SaveConnectionInput, previousPassword: unknown): Record<string, unknown> {
  const allowed = new Set<string>(EDITABLE_FIELDS[input.type]);
  const profile: Record<string, unknown> = { type: input.type };
  for (const [field, raw] of Object.entries(input.fields)) {
    if (!allowed.has(field)) throw new UserError(`${input.type} connections have no field ${field}`, { file: CONNECTIONS_FILE, path: field });
    const value = raw.trim();
    if (value !== '') profile[field] = field === 'port' && /^\d+$/.test(value) ? Number(value) : value;
  }
  if (input.type === 'postgres') {
    if (input.password) profile.password = 'value' in input.password ? { secret: secretNameOf(input.name) } : { env: input.password.env };
    else if (previousPassword !== undefined) profile.password = previousPassword;
  }
  return profile;
}

function checkProfile(type: EditableType, profile: Record<string, unknown>, place: (field: string) => { file: string; path: string }): void {
  const schema = type === 'postgres' ? postgresProfileSchema : localPostgresProfileSchema;
  const parsed = schema.safeParse(profile);
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
  const defaultFor = Object.entries(project.settings.default_connections ?? {}).filter(([, conn]) => conn === name).map(([family]) => family);
  if (defaultFor.length) {
    throw new UserError(`${name} is the project's default ${defaultFor.join(' and ')} connection: choose another default in pipewright.yaml first`, { file: CONNECTIONS_FILE, path: name });
  }
  const doc = await readConnectionsDocument(project.dir);
  doc.delete(name);
  await writeConnectionsDocument(project.dir, doc);
  await secrets.delete(secretNameOf(name));
}

/** The secret-store name of a password typed into the connections screen. */
export function secretNameOf(connection: string): string {
  return `${connection}_password`;
}

async function readConnectionsDocument(dir: string): Promise<Document> {
  const text = await readFile(path.join(dir, CONNECTIONS_FILE), 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  const doc: Document = parseDocument(text);
  if (doc.errors.length) throw new UserError(`${CONNECTIONS_FILE} does not parse (${doc.errors[0]?.message ?? ''}): fix it in an editor first`, { file: CONNECTIONS_FILE });
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
