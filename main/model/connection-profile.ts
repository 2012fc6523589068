import { z } from 'zod';

/** A value read at run time instead of written in the file. */
export const secretRefSchema = z.union([
  z.strictObject({ env: z.string().min(1).describe('environment variable holding the value') }),
  z.strictObject({ secret: z.string().min(1).describe('name in the encrypted local secret store') }),
]);
export type SecretRef = z.infer<typeof secretRefSchema>;

const text = z.union([z.string().min(1), secretRefSchema]);
const sslMode = z.enum(['disable', 'require', 'verify-full']);

/** A Postgres server reached over the network. In the file, `password` is always a reference. */
export const postgresProfileSchema = z.strictObject({
  type: z.literal('postgres'),
  /** `postgres://user@host:port/database`; fields given beside it win. Never with a password in it. */
  url: text.optional(),
  host: text.optional(),
  port: z.union([z.coerce.number().int().min(1).max(65_535), secretRefSchema]).optional(),
  database: text.optional(),
  user: text.optional(),
  /** Plain text only from per-run overrides: the resolver refuses plain text in the file before parsing. */
  password: text.optional(),
  ssl_mode: sslMode.optional(),
  /** Default schema for exports that name none. */
  schema: text.optional(),
});

/** The embedded Postgres Pipewright starts itself (data in `.pipewright/postgres/`). */
export const localPostgresProfileSchema = z.strictObject({
  type: z.literal('local_postgres'),
  /** Created when missing; default `pipewright`. */
  database: z.string().min(1).optional(),
  schema: z.string().min(1).optional(),
});

export type PostgresProfile = z.infer<typeof postgresProfileSchema>;
export type LocalPostgresProfile = z.infer<typeof localPostgresProfileSchema>;

/**
 * How a cloud profile authenticates: `none` (emulators), `adc` (Application Default Credentials), a service-account
 * key file (path relative to the project), or the key's JSON read from the secret store or an environment variable.
 */
export const cloudCredentialsSchema = z.union([
  z.enum(['none', 'adc']),
  z.strictObject({ key_file: z.string().min(1) }),
  z.strictObject({ key: secretRefSchema }),
]);
export type CloudCredentialsSpec = z.infer<typeof cloudCredentialsSchema>;

const cloudFields = {
  project_id: z.string().min(1).optional(),
  /** Dataset/bucket location, e.g. `EU`, `US`, `europe-west1`. */
  location: z.string().min(1).optional(),
  credentials: cloudCredentialsSchema.optional(),
  /** Another API host, e.g. `http://127.0.0.1:4443` for an emulator; absent for Google Cloud. */
  endpoint: z.url().optional(),
};

/** Google Cloud Storage (or any host speaking its JSON API). */
export const gcsProfileSchema = z.strictObject({ type: z.literal('gcs'), ...cloudFields });
/** BigQuery (or any host speaking its REST API). */
export const bigqueryProfileSchema = z.strictObject({ type: z.literal('bigquery'), ...cloudFields });
/** The GCS emulator Pipewright starts itself (objects in `.pipewright/gcs/`). */
export const localGcsProfileSchema = z.strictObject({ type: z.literal('local_gcs'), project_id: z.string().min(1).optional() });
/** The BigQuery emulator Pipewright starts itself (tables in `.pipewright/bigquery/`). */
export const localBigqueryProfileSchema = z.strictObject({
  type: z.literal('local_bigquery'),
  project_id: z.string().min(1).optional(),
  location: z.string().min(1).optional(),
});

/** Fields a per-run override may set, per connection type. `credentials` takes none, adc, key_file:PATH, secret:NAME or env:VAR. */
export const OVERRIDABLE_FIELDS = {
  postgres: ['url', 'host', 'port', 'database', 'user', 'password', 'ssl_mode', 'schema'],
  local_postgres: ['database', 'schema'],
  gcs: ['project_id', 'location', 'credentials', 'endpoint'],
  bigquery: ['project_id', 'location', 'credentials', 'endpoint'],
  local_gcs: ['project_id'],
  local_bigquery: ['project_id', 'location'],
} as const;

/** Every connection type connections.yaml may name. */
export type ConnectionType = keyof typeof OVERRIDABLE_FIELDS;

/** Per-run overrides: connection name → field → value (from `--conn NAME.FIELD=VALUE`). */
export type ConnectionOverrides = Record<string, Record<string, string>>;

/** A Postgres connection ready to use: every reference resolved, every override applied. */
export interface PostgresConnection {
  name: string;
  type: 'postgres' | 'local_postgres';
  host: string;
  port: number;
  database: string;
  user: string;
  password: string | undefined;
  sslMode: z.infer<typeof sslMode>;
  /** The profile's default schema, when it names one. */
  schema: string | undefined;
  /** `user@host:port/database`: safe to print (never the password). */
  label: string;
}

/** The fields of a service-account key the clients need (validated when resolved). */
export interface ServiceAccountKey {
  type: string;
  client_email: string;
  private_key: string;
  project_id?: string;
}

/** Resolved credentials: a key file (absolute path) or key JSON already read from a secret or variable. */
export type CloudCredentials =
  { kind: 'none' } | { kind: 'adc' } | { kind: 'key_file'; path: string } | { kind: 'key'; key: ServiceAccountKey; source: string };

/** A GCS or BigQuery connection ready to use; local_* types point at the project's running emulator. */
export interface CloudConnectionBase {
  name: string;
  /** From the profile, else the key's project (undefined only with ADC, which finds its own). */
  projectId: string | undefined;
  location: string | undefined;
  /** Absent for Google Cloud. */
  endpoint: string | undefined;
  credentials: CloudCredentials;
  /** `project P at ENDPOINT, credentials …`: safe to print (never a key). */
  label: string;
}
export interface GcsConnection extends CloudConnectionBase {
  type: 'gcs' | 'local_gcs';
}
export interface BigQueryConnection extends CloudConnectionBase {
  type: 'bigquery' | 'local_bigquery';
}

/** A connection ready to use, by type: every reference resolved, every override applied. */
export type ResolvedConnection = PostgresConnection | GcsConnection | BigQueryConnection;
