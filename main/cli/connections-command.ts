import { parseArgs } from 'node:util';
import { text } from 'node:stream/consumers';
import { formatError, toErrorShape } from '../model/errors.ts';
import { loadProject } from '../project/load-project.ts';
import type { Project } from '../model/project.ts';
import type { BigQueryConnection, ConnectionOverrides, GcsConnection, PostgresConnection } from '../model/connection-profile.ts';
import { isFamily } from '../connections/block-connection.ts';
import { stopLocalEmulators } from '../connections/local-emulators.ts';
import { probeBigQuery, probeGcs } from '../connections/probe-cloud.ts';
import { resolveConnection } from '../connections/resolve-connection.ts';
import { SecretStore } from '../connections/secret-store.ts';
import { connectPostgres, explainPostgresError } from '../postgres/pg-connect.ts';
import { UsageError } from './usage.ts';
import { resolveProjectDir } from './project-dir.ts';

/** Parses repeated `--conn NAME.FIELD=VALUE` flags into per-connection overrides. */
export function parseConnOverrides(pairs: readonly string[]): ConnectionOverrides {
  const overrides: ConnectionOverrides = {};
  for (const pair of pairs) {
    const match = /^([^.=]+)\.([^.=]+)=(.*)$/s.exec(pair);
    if (!match) throw new UsageError(`--conn needs NAME.FIELD=VALUE, got '${pair}'`);
    const [, name = '', field = '', value = ''] = match;
    (overrides[name] ??= {})[field] = value;
  }
  return overrides;
}

/** Refuses `--conn` overrides of connections the project does not have, naming those it has (a typo must not pass silently). */
export function checkConnOverrideNames(overrides: ConnectionOverrides, known: Record<string, unknown>): void {
  const names = Object.keys(known);
  for (const [name, fields] of Object.entries(overrides)) {
    if (name in known) continue;
    const field = Object.keys(fields)[0] ?? '';
    throw new UsageError(
      `--conn ${name}.${field}: no connection named ${name}; ${names.length > 0 ? `connections: ${names.join(', ')}` : 'connections.yaml defines none'}`,
    );
  }
}

/** `pipewright connections list|test|secret …`; resolves to the exit code (test: 0 reachable and authenticated, else 1). */
export async function connectionsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { project: { type: 'string' }, conn: { type: 'string', multiple: true, default: [] } },
  });
  const [action, ...rest] = positionals;
  const project = await loadProject(await resolveProjectDir(values.project));
  checkConnOverrideNames(parseConnOverrides(values.conn), project.connections);
  const store = SecretStore.forProject(project.stateDir);
  switch (action) {
    case 'list':
      for (const [name, profile] of Object.entries(project.connections)) process.stdout.write(`${name}\t${profile.type}\n`);
      return 0;
    case 'test': {
      const name = rest[0];
      if (!name || rest.length > 1) throw new UsageError('connections test takes one connection name');
      return testConnection(project, name, parseConnOverrides(values.conn));
    }
    case 'secret':
      return secretCommand(store, rest);
    default:
      throw new UsageError(`connections needs list, test <name> or secret set|list|delete; got '${action ?? ''}'`);
  }
}

async function testConnection(project: Project, name: string, overrides: ConnectionOverrides): Promise<number> {
  const say = (line: string) => process.stdout.write(`${line}\n`);
  const conn = await resolveConnection(project, name, { overrides, log: (m) => say(m) }).catch(async (error: unknown) => {
    say(`${name}: cannot resolve: ${formatError(toErrorShape(error))}`);
    await stopLocalEmulators(project.stateDir);
    return undefined;
  });
  if (!conn) return 1;
  say(`${name}: ${conn.label} (${conn.type})`);
  if (isFamily(conn, 'postgres')) return testPostgres(conn, say);
  try {
    const result = await probe(conn, project.dir);
    say(`reachable: ${result.isReachable ? 'yes' : 'no'}`);
    if (result.isAuthenticated !== undefined && result.isReachable) say(`auth: ${result.isAuthenticated ? 'ok' : 'failed'}`);
    if (result.listing) say(result.listing);
    if (result.error) say(`error: ${result.error}`);
    return result.error ? 1 : 0;
  } finally {
    // A local_* connection started its emulator in this process for the test: stop it again.
    await stopLocalEmulators(project.stateDir);
  }
}

function probe(conn: GcsConnection | BigQueryConnection, projectDir: string) {
  switch (conn.type) {
    case 'gcs':
    case 'local_gcs':
      return probeGcs(conn, projectDir);
    case 'bigquery':
    case 'local_bigquery':
      return probeBigQuery(conn, projectDir);
  }
}

async function testPostgres(conn: PostgresConnection, say: (line: string) => void): Promise<number> {
  try {
    const client = await connectPostgres(conn);
    try {
      const { rows } = await client.query<{ version: string }>('SELECT version() AS version');
      say('reachable: yes');
      say('auth: ok');
      say(`server: ${rows[0]?.version ?? 'unknown'}`);
      return 0;
    } finally {
      await client.end();
    }
  } catch (error) {
    const shape = toErrorShape(explainPostgresError(error, conn));
    // connectPostgres already explained the error; the socket's code sits in its cause.
    const code = ((error as { cause?: { code?: string } }).cause ?? (error as { code?: string })).code ?? '';
    const reachable = !['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH'].includes(code) && !/timeout/i.test(shape.message);
    say(`reachable: ${reachable ? 'yes' : 'no'}`);
    if (reachable) say('auth: failed');
    say(`error: ${formatError(shape)}`);
    return 1;
  }
}

async function secretCommand(store: SecretStore, args: string[]): Promise<number> {
  const [verb, name] = args;
  if (verb === 'list') {
    for (const secret of await store.names()) process.stdout.write(`${secret}\n`);
    return 0;
  }
  if (!name || args.length > 2) throw new UsageError('connections secret set|delete takes one secret name');
  if (verb === 'set') {
    // Read from stdin, never from an argument: arguments end up in shell history and process lists.
    if (process.stdin.isTTY) process.stderr.write(`value for ${name} (then Enter and Ctrl-D): `);
    const value = (await text(process.stdin)).replace(/\r?\n$/, '');
    if (value === '') throw new UsageError('no value on stdin');
    await store.set(name, value);
    process.stderr.write(`stored ${name} (${store.cipher.description})\n`);
    if (!store.cipher.isOsKeychain)
      process.stderr.write(
        'note: this store is encrypted with a key file, not an OS keychain; anyone who can read your files can read it\n',
      );
    return 0;
  }
  if (verb === 'delete') {
    const existed = await store.delete(name);
    process.stderr.write(existed ? `deleted ${name}\n` : `no secret named ${name}\n`);
    return existed ? 0 : 1;
  }
  throw new UsageError(`connections secret needs set, list or delete; got '${verb ?? ''}'`);
}
