import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../main/model/errors.ts';
import { deleteConnection, describeConnections, saveConnection } from '../main/connections/connections-file.ts';
import { KeyFileCipher, SecretStore } from '../main/connections/secret-store.ts';
import { loadProject } from '../main/project/load-project.ts';
import { readEngineSettings, saveEngineSettings } from '../main/project/engine-settings-file.ts';
import { createTempProject, type TempProject } from './helpers/temp-project.ts';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

function setup(connectionsYaml: string, settings: Record<string, unknown> = {}): { temp: TempProject; secrets: SecretStore } {
  const temp = createTempProject(settings);
  const keyDir = mkdtempSync(path.join(os.tmpdir(), 'pw-'));
  cleanups.push(
    () => temp.cleanup(),
    () => rmSync(keyDir, { recursive: true, force: true }),
  );
  temp.writeFile('connections.yaml', connectionsYaml);
  return { temp, secrets: SecretStore.forProject(path.join(temp.dir, '.pipewright'), new KeyFileCipher(path.join(keyDir, 'secret.key'))) };
}
const fileOf = (temp: TempProject, name = 'connections.yaml') => readFileSync(path.join(temp.dir, name), 'utf8');

test('saving a new profile stores its password in the secret store and writes a reference, keeping the comments', async () => {
  const { temp, secrets } = setup('# our servers\nlocal_pg: # the sandbox\n  type: local_postgres\n');
  await saveConnection(await loadProject(temp.dir), secrets, {
    name: 'warehouse',
    type: 'postgres',
    fields: { host: 'db.internal', port: '6543', database: 'dw', user: 'etl' },
    password: { value: 'hunter2' },
  });
  const text = fileOf(temp);
  assert.match(text, /^# our servers\nlocal_pg:\n {2}# the sandbox\n {2}type: local_postgres\n/);
  assert.match(
    text,
    /warehouse:\n {2}type: postgres\n {2}host: db.internal\n {2}port: 6543\n {2}database: dw\n {2}user: etl\n {2}password: \{ secret: warehouse_password \}\n/,
  );
  assert.doesNotMatch(text, /hunter2/);
  assert.equal(await secrets.get('warehouse_password'), 'hunter2');
  const views = await describeConnections(await loadProject(temp.dir), secrets);
  assert.deepEqual(views.find((v) => v.name === 'warehouse')?.fields.password, { kind: 'secret', name: 'warehouse_password', isSet: true });
  assert.doesNotMatch(JSON.stringify(views), /hunter2/);
});

test('editing keeps an existing password reference when none is typed, renames in place, and drops emptied fields', async () => {
  const { temp, secrets } = setup(
    'first:\n  type: local_postgres\n# about pg\npg:\n  type: postgres\n  host: a\n  schema: s\n  password: { env: PG_PW }\nlast:\n  type: local_postgres\n',
  );
  await saveConnection(await loadProject(temp.dir), secrets, {
    name: 'pg2',
    previousName: 'pg',
    type: 'postgres',
    fields: { host: 'b', schema: '' },
  });
  assert.equal(
    fileOf(temp),
    'first:\n  type: local_postgres\n# about pg\npg2:\n  type: postgres\n  host: b\n  password: { env: PG_PW }\nlast:\n  type: local_postgres\n',
  );
});

test('a bad field is refused naming it, and nothing is written', async () => {
  const { temp, secrets } = setup('{}\n');
  const before = fileOf(temp);
  await assert.rejects(
    saveConnection(await loadProject(temp.dir), secrets, {
      name: 'pg',
      type: 'postgres',
      fields: { host: 'h', port: '99999' },
      password: { value: 'x' },
    }),
    (error: unknown) => error instanceof UserError && error.place.path === 'port',
  );
  await assert.rejects(
    saveConnection(await loadProject(temp.dir), secrets, { name: '9lives', type: 'local_postgres', fields: {} }),
    /letters, digits and _/,
  );
  assert.equal(fileOf(temp), before);
  assert.deepEqual(await secrets.names(), [], 'no secret is stored for a refused profile');
});

test('deleting removes the profile and its stored password, but a project default is refused', async () => {
  const { temp, secrets } = setup('keep:\n  type: local_postgres\n', { default_connections: { postgres: 'keep' } });
  await saveConnection(await loadProject(temp.dir), secrets, {
    name: 'gone',
    type: 'postgres',
    fields: { host: 'h' },
    password: { value: 'pw' },
  });
  await deleteConnection(await loadProject(temp.dir), secrets, 'gone');
  assert.equal(fileOf(temp), 'keep:\n  type: local_postgres\n');
  assert.deepEqual(await secrets.names(), []);
  await assert.rejects(deleteConnection(await loadProject(temp.dir), secrets, 'keep'), /default postgres connection/);
});

test('engine settings are saved into pipewright.yaml with its comments, and a bad one names its field', async () => {
  const { temp } = setup('{}\n');
  temp.writeFile('pipewright.yaml', 'name: p # the name\nengine:\n  # how many blocks at once\n  concurrency: 4\n');
  const project = await loadProject(temp.dir);
  assert.deepEqual(readEngineSettings(project), { threads: '', memory_limit: '', concurrency: '4', retries: '' });
  await assert.rejects(
    saveEngineSettings(project, { threads: '2', memory_limit: 'lots', concurrency: '4', retries: '' }),
    (e: unknown) => e instanceof UserError && e.place.path === 'memory_limit',
  );
  await assert.rejects(
    saveEngineSettings(project, { threads: 'two', memory_limit: '', concurrency: '4', retries: '' }),
    /threads must be a whole number/,
  );
  const saved = await saveEngineSettings(project, { threads: '2', memory_limit: '1GB', concurrency: '', retries: '3' });
  assert.deepEqual(saved, { threads: '2', memory_limit: '1GB', concurrency: '4', retries: '3' });
  assert.equal(
    fileOf(temp, 'pipewright.yaml'),
    'name: p # the name\nengine:\n  # how many blocks at once\n  concurrency: 4\n  threads: 2\n  memory_limit: 1GB\n  retry:\n    retries: 3\n',
  );
  assert.equal(project.settings.engine.threads, 2, 'the open project sees the new settings');
});
