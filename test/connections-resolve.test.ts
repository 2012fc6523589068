import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { UserError } from '../main/model/errors.ts';
import type { Project } from '../main/model/project.ts';
import { LOCAL_POSTGRES_SECRET, resolveConnection, resolvePostgresConnection } from '../main/connections/resolve-connection.ts';
import { KeyFileCipher, SecretStore } from '../main/connections/secret-store.ts';
import { LocalPostgres } from '../main/postgres/local-server.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'pw-conn-'));
process.env.PIPEWRIGHT_CONFIG_DIR = path.join(root, 'config');
after(() => rmSync(root, { recursive: true, force: true }));

let projects = 0;
function projectWith(connections: Project['connections']): Project {
  const dir = path.join(root, `p${++projects}`);
  return {
    dir,
    stateDir: path.join(dir, '.pipewright'),
    settings: { name: 't', engine: { concurrency: 1 } },
    connections,
    pipelineIds: [],
  };
}

const remote = {
  type: 'postgres',
  host: 'db.example.com',
  port: 5432,
  database: 'warehouse',
  user: 'loader',
  password: { env: 'WAREHOUSE_PW' },
};

test('references resolve from the environment, and PIPEWRIGHT_CONN_ variables and --conn overrides win in that order', async () => {
  const project = projectWith({ wh: remote });
  const env = {
    WAREHOUSE_PW: 's3cret',
    PIPEWRIGHT_CONN_WH_HOST: 'env-host',
    PIPEWRIGHT_CONN_WH_PORT: '6543',
    PIPEWRIGHT_CONN_WH_DATABASE: 'env-db',
  };
  const conn = await resolvePostgresConnection(project, 'wh', { env, overrides: { wh: { database: 'flag-db', ssl_mode: 'require' } } });
  assert.deepEqual(
    { host: conn.host, port: conn.port, database: conn.database, user: conn.user, password: conn.password, ssl: conn.sslMode },
    { host: 'env-host', port: 6543, database: 'flag-db', user: 'loader', password: 's3cret', ssl: 'require' },
  );
  assert.equal(conn.label, 'loader@env-host:6543/flag-db');
});

test('a URL profile fills the fields it names, and fields beside it win', async () => {
  const project = projectWith({ u: { type: 'postgres', url: 'postgres://ana@pg.local:5433/sales', database: 'other' } });
  const conn = await resolvePostgresConnection(project, 'u', { env: {} });
  assert.deepEqual([conn.user, conn.host, conn.port, conn.database, conn.password], ['ana', 'pg.local', 5433, 'other', undefined]);
});

test('secret references read the encrypted local store, which holds no plain text and a key only the user can read', async () => {
  const project = projectWith({ wh: { ...remote, password: { secret: 'warehouse_password' } } });
  const store = SecretStore.forProject(project.stateDir);
  await store.set('warehouse_password', 'very-secret-value');
  const conn = await resolvePostgresConnection(project, 'wh', { env: {} });
  assert.equal(conn.password, 'very-secret-value');
  assert.doesNotMatch(readFileSync(store.file, 'utf8'), /very-secret-value/);
  const keyFile = (store.cipher as KeyFileCipher).keyFile;
  assert.equal(statSync(keyFile).mode & 0o777, 0o600);
  assert.deepEqual(await store.names(), ['warehouse_password']);

  const otherKey = new SecretStore(store.file, new KeyFileCipher(path.join(root, 'other.key')));
  await assert.rejects(otherKey.get('warehouse_password'), /cannot be decrypted/);
});

test('plain-text passwords in connections.yaml, unknown names and missing references are clear errors naming the field', async () => {
  const plain = projectWith({ wh: { ...remote, password: 'hunter2' } });
  await assert.rejects(
    resolveConnection(plain, 'wh', { env: {} }),
    (e: unknown) =>
      e instanceof UserError &&
      /wh\.password is plain text/.test(e.message) &&
      e.place.file === 'connections.yaml' &&
      e.place.path === 'wh.password',
  );
  const inUrl = projectWith({ wh: { type: 'postgres', url: 'postgres://a:hunter2@h/db' } });
  await assert.rejects(resolveConnection(inUrl, 'wh', { env: {} }), /wh\.url holds a password/);
  await assert.rejects(resolveConnection(plain, 'nope', { env: {} }), /no connection named nope \(defined: wh\)/);
  const project = projectWith({ wh: remote });
  await assert.rejects(resolveConnection(project, 'wh', { env: {} }), /environment variable WAREHOUSE_PW is not set/);
  await assert.rejects(
    resolveConnection(project, 'wh', { env: { WAREHOUSE_PW: 'x' }, overrides: { wh: { colour: 'red' } } }),
    /no overridable field colour/,
  );
  const secretMissing = projectWith({ wh: { ...remote, password: { secret: 'absent' } } });
  await assert.rejects(resolveConnection(secretMissing, 'wh', { env: {} }), /pipewright connections secret set absent/);
});

test('a local_postgres connection starts the embedded server, creates its database and keeps the password encrypted', async () => {
  const project = projectWith({ local_pg: { type: 'local_postgres', database: 'ny_taxi' } });
  try {
    const conn = await resolvePostgresConnection(project, 'local_pg', { env: {} });
    const again = await resolvePostgresConnection(project, 'local_pg', { env: {} });
    assert.equal(again.port, conn.port, 'the running server is reused');
    const client = new pg.Client({ host: conn.host, port: conn.port, user: conn.user, password: conn.password, database: conn.database });
    await client.connect();
    const { rows } = await client.query('select current_database() as db');
    await client.end();
    assert.equal(rows[0]?.db, 'ny_taxi');
    const password = await SecretStore.forProject(project.stateDir).get(LOCAL_POSTGRES_SECRET);
    assert.equal(password, conn.password);
    for (const name of readdirSync(project.stateDir)) {
      const file = path.join(project.stateDir, name);
      if (statSync(file).isFile())
        assert.doesNotMatch(readFileSync(file, 'utf8'), new RegExp(password ?? 'none'), `${name} holds the password`);
    }
  } finally {
    await LocalPostgres.at(project.stateDir).stop();
  }
});
