import { randomBytes } from 'node:crypto';
import { UserError } from '../model/errors.ts';
import type { Project } from '../model/project.ts';
import { LocalPostgres } from '../postgres/local-server.ts';
import { ensureDatabase } from '../postgres/pg-connect.ts';
import {
  OVERRIDABLE_FIELDS,
  localPostgresProfileSchema,
  postgresProfileSchema,
  type ConnectionOverrides,
  type ConnectionType,
  type PostgresConnection,
  type PostgresProfile,
  type ResolvedConnection,
  type SecretRef,
} from '../model/connection-profile.ts';
import { KeyFileCipher, SecretStore } from './secret-store.ts';
import { profileIssue, readRef } from './read-ref.ts';
import { resolveCloud } from './resolve-cloud.ts';
import { requireFamily } from './block-connection.ts';

export interface ResolveOptions {
  /** `--conn` overrides; they win over the environment, which wins over the file. */
  overrides?: ConnectionOverrides;
  env?: NodeJS.ProcessEnv;
  secrets?: SecretStore;
  log?: (message: string) => void;
}

const FILE = 'connections.yaml';
/** Secret-store name of the generated password of the project's local Postgres. */
export const LOCAL_POSTGRES_SECRET = 'local_postgres_password';

/**
 * Resolves the named profile of `connections.yaml`: applies `PIPEWRIGHT_CONN_<NAME>_<FIELD>` and `--conn`
 * overrides, reads `{ env }` and `{ secret }` references (service-account keys included), and for the local_* types
 * starts (or reuses) the project's embedded Postgres or GCS/BigQuery emulator. Plain-text passwords are refused.
 */
export async function resolveConnection(project: Project, name: string, opts: ResolveOptions = {}): Promise<ResolvedConnection> {
  const raw = project.connections[name];
  if (!raw) {
    const known = Object.keys(project.connections);
    const hint = known.length ? `defined: ${known.join(', ')}` : `${FILE} defines none`;
    throw new UserError(`no connection named ${name} (${hint})`, { file: FILE, path: name });
  }
  const env = opts.env ?? process.env;
  const secrets = opts.secrets ?? SecretStore.forProject(project.stateDir);
  refusePlainSecrets(name, raw);
  const type = raw.type;
  if (!isConnectionType(type)) {
    throw new UserError(`connection ${name} has unknown type ${type} (types: ${Object.keys(OVERRIDABLE_FIELDS).join(', ')})`, {
      file: FILE,
      path: `${name}.type`,
    });
  }
  const merged = { ...raw, ...overridesFor(name, type, env, opts.overrides) };
  if (type === 'local_postgres') return resolveLocal(project, name, merged, secrets, opts.log);
  if (type !== 'postgres') return resolveCloud(name, type, merged, { project, env, secrets, log: opts.log });
  const profile = parseProfile(name, merged);
  return resolveRemote(name, profile, env, secrets);
}

function isConnectionType(type: string): type is ConnectionType {
  return Object.hasOwn(OVERRIDABLE_FIELDS, type);
}

function refusePlainSecrets(name: string, raw: Record<string, unknown>): void {
  if (typeof raw.password === 'string') {
    throw new UserError(
      `${name}.password is plain text: write { env: VARIABLE } or { secret: NAME } (pipewright connections secret set NAME)`,
      {
        file: FILE,
        path: `${name}.password`,
      },
    );
  }
  if (typeof raw.url === 'string' && URL.canParse(raw.url) && new URL(raw.url).password) {
    throw new UserError(`${name}.url holds a password: remove it from the URL and use password: { env: … } or { secret: … }`, {
      file: FILE,
      path: `${name}.url`,
    });
  }
}

/** Environment and command-line overrides of one connection's fields. */
function overridesFor(name: string, type: ConnectionType, env: NodeJS.ProcessEnv, flags: ConnectionOverrides = {}): Record<string, string> {
  const allowed: readonly string[] = OVERRIDABLE_FIELDS[type];
  const result: Record<string, string> = {};
  for (const field of allowed) {
    const value = env[`PIPEWRIGHT_CONN_${name.toUpperCase()}_${field.toUpperCase()}`];
    if (value !== undefined) result[field] = value;
  }
  for (const [field, value] of Object.entries(flags[name] ?? {})) {
    if (!allowed.includes(field))
      throw new UserError(
        `--conn ${name}.${field}: a ${type} connection has no overridable field ${field} (fields: ${allowed.join(', ')})`,
      );
    result[field] = value;
  }
  return result;
}

function parseProfile(name: string, merged: Record<string, unknown>): PostgresProfile {
  const parsed = postgresProfileSchema.safeParse(merged);
  if (parsed.success) return parsed.data;
  throw profileIssue(name, parsed.error.issues[0]);
}

async function resolveRemote(
  name: string,
  profile: PostgresProfile,
  env: NodeJS.ProcessEnv,
  secrets: SecretStore,
): Promise<PostgresConnection> {
  const read = async (field: string, value: string | number | SecretRef | undefined) =>
    value === undefined || typeof value !== 'object' ? value : readRef(value, { file: FILE, path: `${name}.${field}` }, env, secrets);
  const url = await read('url', profile.url);
  const fromUrl = url === undefined ? undefined : parseUrl(name, String(url));
  const host = String((await read('host', profile.host)) ?? fromUrl?.host ?? 'localhost');
  const port = Number((await read('port', profile.port)) ?? fromUrl?.port ?? 5432);
  const database = String((await read('database', profile.database)) ?? fromUrl?.database ?? 'postgres');
  const user = String((await read('user', profile.user)) ?? fromUrl?.user ?? 'postgres');
  const password = typeof profile.password === 'string' ? profile.password : await read('password', profile.password);
  const schema = await read('schema', profile.schema);
  return {
    name,
    type: 'postgres',
    host,
    port,
    database,
    user,
    password: password === undefined ? undefined : String(password),
    sslMode: profile.ssl_mode ?? 'disable',
    schema: schema === undefined ? undefined : String(schema),
    label: `${user}@${host}:${port}/${database}`,
  };
}

async function resolveLocal(
  project: Project,
  name: string,
  merged: Record<string, unknown>,
  secrets: SecretStore,
  log?: (m: string) => void,
): Promise<PostgresConnection> {
  const parsed = localPostgresProfileSchema.safeParse(merged);
  if (!parsed.success) throw profileIssue(name, parsed.error.issues[0]);
  // Sealed with the key file even in the desktop app: the CLI must reach the same server with the same password.
  const password = await localPassword(project.stateDir, new SecretStore(secrets.file, new KeyFileCipher()));
  const server = await LocalPostgres.at(project.stateDir).ensureRunning(password, log);
  const database = parsed.data.database ?? 'pipewright';
  const resolved: PostgresConnection = {
    name,
    type: 'local_postgres',
    host: server.host,
    port: server.port,
    database,
    user: server.user,
    password,
    sslMode: 'disable',
    schema: parsed.data.schema,
    label: `${server.user}@${server.host}:${server.port}/${database}`,
  };
  await ensureDatabase(resolved);
  return resolved;
}

/** One lookup per project and process: blocks resolving at once must not generate two different passwords. */
const localPasswords = new Map<string, Promise<string>>();

function localPassword(stateDir: string, secrets: SecretStore): Promise<string> {
  let pending = localPasswords.get(stateDir);
  if (!pending) {
    pending = (async () => {
      const stored = await secrets.get(LOCAL_POSTGRES_SECRET);
      if (stored !== undefined) return stored;
      const generated = randomBytes(18).toString('base64url');
      await secrets.set(LOCAL_POSTGRES_SECRET, generated);
      return generated;
    })();
    // A failed lookup (say, an unreadable key) is retried by the next resolve instead of being cached.
    pending.catch(() => localPasswords.delete(stateDir));
    localPasswords.set(stateDir, pending);
  }
  return pending;
}

function parseUrl(name: string, text: string): { host?: string; port?: number; database?: string; user?: string } {
  if (!URL.canParse(text) || !/^postgres(ql)?:$/.test(new URL(text).protocol)) {
    throw new UserError(`${name}.url must look like postgres://user@host:5432/database`, { file: FILE, path: `${name}.url` });
  }
  const url = new URL(text);
  return {
    ...(url.hostname ? { host: decodeURIComponent(url.hostname) } : {}),
    ...(url.port ? { port: Number(url.port) } : {}),
    ...(url.pathname.length > 1 ? { database: decodeURIComponent(url.pathname.slice(1)) } : {}),
    ...(url.username ? { user: decodeURIComponent(url.username) } : {}),
  };
}

/** Resolves a profile that must be postgres or local_postgres (for callers that only speak Postgres). */
export async function resolvePostgresConnection(project: Project, name: string, opts: ResolveOptions = {}): Promise<PostgresConnection> {
  return requireFamily(await resolveConnection(project, name, opts), 'postgres', { file: FILE, path: `${name}.type` });
}
