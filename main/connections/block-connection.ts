import { UserError, type ErrorPlace } from '../model/errors.ts';
import type { BlockContext } from '../model/block-kind.ts';
import type {
  BigQueryConnection,
  GcsConnection,
  PostgresConnection,
  ResolvedConnection,
  ServiceAccountKey,
} from '../model/connection-profile.ts';

/** Which connection types serve the blocks of each connector (the key of `default_connections`). */
const FAMILY_TYPES = {
  postgres: ['postgres', 'local_postgres'],
  gcs: ['gcs', 'local_gcs'],
  bigquery: ['bigquery', 'local_bigquery'],
} as const;
type Family = keyof typeof FAMILY_TYPES;
interface ByFamily {
  postgres: PostgresConnection;
  gcs: GcsConnection;
  bigquery: BigQueryConnection;
}

/** Whether a connection belongs to a connector's family (`postgres` holds postgres and local_postgres, and so on). */
export function isFamily<F extends Family>(conn: ResolvedConnection, family: F): conn is ByFamily[F] {
  const types: readonly string[] = FAMILY_TYPES[family];
  return types.includes(conn.type);
}

/** Narrows a resolved connection to a connector's types, or fails naming the connection and the types it needs. */
export function requireFamily<F extends Family>(conn: ResolvedConnection, family: F, place: ErrorPlace): ByFamily[F] {
  if (isFamily(conn, family)) return conn;
  throw new UserError(`connection ${conn.name} has type ${conn.type}; this block needs ${FAMILY_TYPES[family].join(' or ')}`, {
    ...place,
    path: 'config.connection',
  });
}

/** The cloud fields a gcs or bigquery block may set inline, and the connection it may name. */
export interface InlineCloudSettings {
  connection?: string | undefined;
  endpoint?: string | undefined;
  project_id?: string | undefined;
  location?: string | undefined;
  credentials?: 'none' | 'adc' | { key_file: string } | undefined;
}

/** Inline settings with the connection's filled in beneath them; a key read from a secret rides along. */
export type MergedCloudSettings<C extends InlineCloudSettings> = C & { location?: string; service_account_key?: ServiceAccountKey };

/**
 * A gcs or bigquery block's settings: the connection named by `config.connection` — else, when the block names no
 * endpoint and no credentials of its own, `default_connections.<family>` of pipewright.yaml — merged under the
 * block's inline fields (inline wins). Without either, the inline settings alone.
 */
export async function mergeCloudConnection<C extends InlineCloudSettings>(
  ctx: Pick<BlockContext, 'project' | 'connection'>,
  family: 'gcs' | 'bigquery',
  config: C,
  place: ErrorPlace,
): Promise<MergedCloudSettings<C>> {
  const saysWhere = config.endpoint !== undefined || config.credentials !== undefined;
  const chosen = config.connection ?? (saysWhere ? undefined : ctx.project.settings.default_connections?.[family]);
  if (!chosen) return config;
  // The type is checked before resolving, so a wrong profile does not start an emulator first.
  const declared = ctx.project.connections[chosen]?.type;
  if (declared !== undefined && !(FAMILY_TYPES[family] as readonly string[]).includes(declared)) {
    throw new UserError(`connection ${chosen} has type ${declared}; this block needs ${FAMILY_TYPES[family].join(' or ')}`, {
      ...place,
      path: 'config.connection',
    });
  }
  const conn = requireFamily(await resolveForBlock(ctx, chosen, place), family, place);
  const fromConnection: InlineCloudSettings & { service_account_key?: ServiceAccountKey } = {
    ...(conn.endpoint ? { endpoint: conn.endpoint } : {}),
    ...(conn.projectId ? { project_id: conn.projectId } : {}),
    ...(conn.location ? { location: conn.location } : {}),
  };
  const creds = conn.credentials;
  if (config.credentials === undefined) {
    if (creds.kind === 'none' || creds.kind === 'adc') fromConnection.credentials = creds.kind;
    else if (creds.kind === 'key_file') fromConnection.credentials = { key_file: creds.path };
    else fromConnection.service_account_key = creds.key;
  }
  const inline = Object.fromEntries(Object.entries(config).filter(([, value]) => value !== undefined)) as C;
  return { ...fromConnection, ...inline };
}

/** Resolves a connection for a block, putting the block's id on errors that name only the profile. */
async function resolveForBlock(ctx: Pick<BlockContext, 'connection'>, name: string, place: ErrorPlace): Promise<ResolvedConnection> {
  if (!ctx.connection) throw new Error('this host runs blocks without connections');
  try {
    return await ctx.connection(name);
  } catch (error) {
    if (error instanceof UserError && !error.place.block)
      throw new UserError(error.message, { ...error.place, block: place.block }, { cause: error });
    throw error;
  }
}
