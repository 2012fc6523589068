import { lineOf, safeId, type ImportLog } from './import-types.ts';

/**
 * io_config.yaml profiles → connections.yaml entries. A Mage profile holds every provider's keys at once, so each
 * provider used becomes its own connection: `<profile>_postgres`, `<profile>_bigquery`, `<profile>_gcs`. Secrets
 * are environment references, never values: `{{ env_var('X') }}` reads X; a plain-text password becomes a variable
 * the report tells the user to set.
 */

const ENV_VAR = /^\s*\{\{\s*env_var\(\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]\s*\)\s*\}\}\s*$/;
/** Providers the templates list that Pipewright has no connection type for. */
const OTHER_PROVIDERS =
  /^(MYSQL|SNOWFLAKE|REDSHIFT|MSSQL|CLICKHOUSE|DRUID|AWS|AZURE|TRINO|SPARK|MONGODB|ORACLE|PINOT|QDRANT|WEAVIATE|CHROMA|DUCKDB|ALGOLIA|OPENSEARCH|ELASTICSEARCH|SFTP|DB2|KAFKA)_/;

export function postgresConnectionName(profile: string): string {
  return safeId(`${profile}_postgres`);
}

export interface ConvertedConnections {
  connections: Record<string, Record<string, unknown>>;
  defaultPostgres?: string;
}

/** Converts the parsed io_config.yaml (`text` for line numbers); problems and variables go to `log`. */
export function convertIoConfig(parsed: unknown, text: string, log: ImportLog): ConvertedConnections {
  const out: ConvertedConnections = { connections: {} };
  if (!parsed || typeof parsed !== 'object') return out;
  for (const [profile, raw] of Object.entries(parsed as Record<string, unknown>)) {
    if (profile === 'version' || !raw || typeof raw !== 'object') continue;
    const keys = raw as Record<string, unknown>;
    const line = lineOf(text, new RegExp(`^${profile}:`, 'm'));
    if (hasAny(keys, 'POSTGRES_')) {
      const name = postgresConnectionName(profile);
      out.connections[name] = postgresProfile(profile, keys, log, line);
      if (profile === 'default') out.defaultPostgres = name;
      log.add({ subject: name, outcome: 'native', reason: `io_config profile ${profile}: POSTGRES_* keys`, file: 'io_config.yaml', line });
    }
    if (hasAny(keys, 'GOOGLE_')) convertGoogle(profile, keys, out, log, line);
    const others = [
      ...new Set(
        Object.keys(keys)
          .filter((k) => OTHER_PROVIDERS.test(k))
          .map((k) => k.split('_')[0]),
      ),
    ];
    if (others.length > 0) {
      log.add({
        subject: profile,
        outcome: 'skipped',
        reason: `io_config profile ${profile}: ${others.join(', ')} keys not imported (no such connection type)`,
        file: 'io_config.yaml',
        line,
      });
    }
  }
  return out;
}

function hasAny(keys: Record<string, unknown>, prefix: string): boolean {
  return Object.keys(keys).some((k) => k.startsWith(prefix));
}

function postgresProfile(profile: string, keys: Record<string, unknown>, log: ImportLog, line?: number): Record<string, unknown> {
  const conn: Record<string, unknown> = { type: 'postgres' };
  const fields: [string, string][] = [
    ['host', 'POSTGRES_HOST'],
    ['port', 'POSTGRES_PORT'],
    ['database', 'POSTGRES_DBNAME'],
    ['user', 'POSTGRES_USER'],
    ['schema', 'POSTGRES_SCHEMA'],
  ];
  for (const [field, key] of fields) {
    const value = plainOrEnv(keys[key], log, `${key} of profile ${profile}`);
    if (value !== undefined) conn[field] = field === 'port' && typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  }
  conn.password = passwordRef(profile, keys.POSTGRES_PASSWORD, log, line);
  return conn;
}

/** A value as written, or `{ env: X }` for `{{ env_var('X') }}`. */
function plainOrEnv(value: unknown, log: ImportLog, what: string): unknown {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') return value;
  const env = ENV_VAR.exec(value)?.[1];
  if (!env) return value;
  log.envVars.set(env, log.envVars.get(env) ?? what);
  return { env };
}

/** Never a value: `{ env: X }` from `{{ env_var('X') }}`, else a variable named after the profile. */
function passwordRef(profile: string, value: unknown, log: ImportLog, line?: number): { env: string } {
  const env = typeof value === 'string' ? ENV_VAR.exec(value)?.[1] : undefined;
  if (env) {
    log.envVars.set(env, `POSTGRES_PASSWORD of profile ${profile}`);
    return { env };
  }
  const made = `${safeId(profile).toUpperCase()}_POSTGRES_PASSWORD`;
  log.envVars.set(made, `POSTGRES_PASSWORD of profile ${profile} (plain text in io_config.yaml, not copied)`);
  if (value !== undefined && value !== null && value !== '') {
    log.add({
      subject: postgresConnectionName(profile),
      outcome: 'attention',
      reason: `plain-text POSTGRES_PASSWORD not copied: set ${made}`,
      file: 'io_config.yaml',
      line,
    });
  }
  return { env: made };
}

function convertGoogle(profile: string, keys: Record<string, unknown>, out: ConvertedConnections, log: ImportLog, line?: number): void {
  const keyFile = plainOrEnv(keys.GOOGLE_SERVICE_ACC_KEY_FILEPATH, log, `GOOGLE_SERVICE_ACC_KEY_FILEPATH of profile ${profile}`);
  let credentials: unknown = 'adc';
  if (typeof keyFile === 'string') credentials = { key_file: keyFile };
  else if (keys.GOOGLE_SERVICE_ACC_KEY !== undefined || keyFile !== undefined) {
    // An inline key (or a key path from the environment) is a secret: read the key's JSON from a variable instead.
    const env = `${safeId(profile).toUpperCase()}_GOOGLE_KEY_JSON`;
    log.envVars.set(env, `the service-account key JSON of profile ${profile} (not copied)`);
    credentials = { key: { env } };
  }
  const location = plainOrEnv(keys.GOOGLE_LOCATION, log, `GOOGLE_LOCATION of profile ${profile}`);
  const common = { credentials, ...(typeof location === 'string' ? { location } : {}) };
  for (const type of ['bigquery', 'gcs'] as const) {
    const name = safeId(`${profile}_${type}`);
    out.connections[name] = { type, ...common };
    log.add({ subject: name, outcome: 'native', reason: `io_config profile ${profile}: GOOGLE_* keys`, file: 'io_config.yaml', line });
  }
}
