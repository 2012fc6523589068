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

/** Fields a per-run override may set, per connection type. */
export const OVERRIDABLE_FIELDS = {
  postgres: ['url', 'host', 'port', 'database', 'user', 'password', 'ssl_mode', 'schema'],
  local_postgres: ['database', 'schema'],
} as const;

/** Per-run overrides: connection name → field → value (from `--conn NAME.FIELD=VALUE`). */
export type ConnectionOverrides = Record<string, Record<string, string>>;

/** A connection ready to use: every reference resolved, every override applied. */
export interface ResolvedConnection {
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
