import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Storage } from '@google-cloud/storage';
import { UserError } from '../main/model/errors.ts';
import type { Project } from '../main/model/project.ts';
import type { GcsConnection, ResolvedConnection } from '../main/model/connection-profile.ts';
import { resolveConnection } from '../main/connections/resolve-connection.ts';
import { LocalEmulator, stopLocalEmulators } from '../main/connections/local-emulators.ts';
import { SecretStore } from '../main/connections/secret-store.ts';
import { startGcsEmulator } from '../main/cloud/gcs-emulator/server.ts';
import { openProject } from '../main/runtime/open-project.ts';
import { runCli } from './helpers/run-cli.ts';
import { createTempProject } from './helpers/temp-project.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'pw-cloudconn-'));
process.env.PIPEWRIGHT_CONFIG_DIR = path.join(root, 'config');
after(() => rmSync(root, { recursive: true, force: true }));

const KEY = {
  type: 'service_account',
  project_id: 'key-project',
  client_email: 'loader@key-project.iam.gserviceaccount.com',
  private_key: '-----BEGIN PRIVATE KEY-----\nfake\n-----END PRIVATE KEY-----\n',
};

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

function asGcs(conn: ResolvedConnection): GcsConnection {
  assert.ok(conn.type === 'gcs' || conn.type === 'local_gcs', `expected a GCS connection, got ${conn.type}`);
  return conn as GcsConnection;
}

test('a gcs profile reads its service-account key from the secret store or the environment, and takes the key project', async () => {
  const project = projectWith({ lake: { type: 'gcs', location: 'EU', credentials: { key: { secret: 'lake_key' } } } });
  await SecretStore.forProject(project.stateDir).set('lake_key', JSON.stringify(KEY));
  const fromSecret = asGcs(await resolveConnection(project, 'lake', { env: {} }));
  assert.deepEqual([fromSecret.projectId, fromSecret.location, fromSecret.endpoint], ['key-project', 'EU', undefined]);
  assert.equal(fromSecret.credentials.kind === 'key' ? fromSecret.credentials.key.client_email : '', KEY.client_email);
  assert.doesNotMatch(fromSecret.label, /PRIVATE KEY/, 'the label never shows the key');

  const env = { LAKE_KEY: JSON.stringify({ ...KEY, project_id: 'env-project' }), PIPEWRIGHT_CONN_LAKE_ENDPOINT: 'http://127.0.0.1:9/' };
  const fromEnv = asGcs(
    await resolveConnection(project, 'lake', { env, overrides: { lake: { credentials: 'env:LAKE_KEY', project_id: 'flag-project' } } }),
  );
  assert.equal(fromEnv.credentials.kind === 'key' ? fromEnv.credentials.source : '', 'environment variable LAKE_KEY');
  assert.deepEqual([fromEnv.projectId, fromEnv.endpoint], ['flag-project', 'http://127.0.0.1:9']);
});

test('a key file profile resolves relative to the project, and bad credentials name the file, secret or variable to fix', async () => {
  const project = projectWith({ lake: { type: 'bigquery', credentials: { key_file: 'keys/sa.json' } } });
  await assert.rejects(
    resolveConnection(project, 'lake', { env: {} }),
    (e: unknown) =>
      e instanceof UserError &&
      /cannot read the service-account key file keys\/sa\.json/.test(e.message) &&
      e.place.path === 'lake.credentials.key_file',
  );
  const keyFile = path.join(project.dir, 'keys', 'sa.json');
  await import('node:fs/promises').then((fs) => fs.mkdir(path.dirname(keyFile), { recursive: true }));
  writeFileSync(keyFile, JSON.stringify({ type: 'service_account', private_key: 'x' }));
  await assert.rejects(
    resolveConnection(project, 'lake', { env: {} }),
    /key file keys\/sa\.json is not a service-account key: it lacks client_email/,
  );
  writeFileSync(keyFile, JSON.stringify(KEY));
  const conn = await resolveConnection(project, 'lake', { env: {} });
  assert.equal(conn.type, 'bigquery');
  assert.deepEqual(conn.type === 'bigquery' ? [conn.projectId, conn.credentials] : [], [
    'key-project',
    { kind: 'key_file', path: keyFile },
  ]);

  const secret = projectWith({ lake: { type: 'gcs', credentials: { key: { secret: 'lake_key' } } } });
  await assert.rejects(
    resolveConnection(secret, 'lake', { env: {} }),
    /no secret named lake_key .*pipewright connections secret set lake_key/,
  );
  await SecretStore.forProject(secret.stateDir).set('lake_key', 'not json at all');
  await assert.rejects(
    resolveConnection(secret, 'lake', { env: {} }),
    /secret lake_key is not a service-account key \(not a JSON object\)/,
  );
  const variable = projectWith({ lake: { type: 'gcs', credentials: { key: { env: 'GCS_KEY_JSON' } } } });
  await assert.rejects(resolveConnection(variable, 'lake', { env: {} }), /environment variable GCS_KEY_JSON is not set/);
  await assert.rejects(
    resolveConnection(variable, 'lake', { env: {}, overrides: { lake: { credentials: 'keyfile' } } }),
    /write none, adc, key_file:PATH, secret:NAME or env:VARIABLE/,
  );
  await assert.rejects(
    resolveConnection(projectWith({ lake: { type: 'gcs', credentials: 'none' } }), 'lake', { env: {} }),
    /lake\.credentials: none only works with an endpoint/,
  );
  await assert.rejects(
    resolveConnection(projectWith({ lake: { type: 'gcs', bucket: 'x' } }), 'lake', { env: {} }),
    /lake: Unrecognized key/i,
  );
});

test('local_gcs starts the emulator once per project and process, serves the official client, and stops on request', async () => {
  const project = projectWith({ local_gcs: { type: 'local_gcs' } });
  try {
    const [first, second] = await Promise.all([
      resolveConnection(project, 'local_gcs', { env: {} }),
      resolveConnection(project, 'local_gcs', { env: {} }),
    ]);
    const conn = asGcs(first);
    assert.equal(asGcs(second).endpoint, conn.endpoint, 'blocks resolving at once share one emulator');
    assert.deepEqual([conn.projectId, conn.credentials], ['pipewright-local', { kind: 'none' }]);
    const storage = new Storage({ apiEndpoint: conn.endpoint, projectId: 'pipewright-local' });
    await storage.createBucket('sandbox-bucket');
    await storage
      .bucket('sandbox-bucket')
      .file('hello.txt')
      .save('hi', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
    assert.ok(existsSync(path.join(project.stateDir, 'gcs', 'sandbox-bucket')), 'objects live under .pipewright/gcs');
    const record = JSON.parse(readFileSync(path.join(project.stateDir, 'gcs-emulator.json'), 'utf8')) as {
      endpoint: string;
      ownerPid: number;
    };
    assert.deepEqual(record, { endpoint: conn.endpoint, ownerPid: process.pid });
    await stopLocalEmulators(project.stateDir);
    await assert.rejects(fetch(`${conn.endpoint}/storage/v1/b?project=x`), 'the emulator no longer answers');

    const restarted = asGcs(await resolveConnection(project, 'local_gcs', { env: {} }));
    const [buckets] = await new Storage({ apiEndpoint: restarted.endpoint, projectId: 'pipewright-local' }).getBuckets();
    assert.deepEqual(
      buckets.map((b) => b.name),
      ['sandbox-bucket'],
      'a restarted emulator serves the same data',
    );
  } finally {
    await stopLocalEmulators(project.stateDir);
  }
});

test('local_gcs reuses an emulator another live process recorded (the sandbox), and never starts a second one over its folder', async () => {
  const project = projectWith({ local_gcs: { type: 'local_gcs' } });
  const other = await startGcsEmulator({ root: path.join(project.stateDir, 'gcs') });
  try {
    writeFileSync(path.join(project.stateDir, 'gcs-emulator.json'), JSON.stringify({ endpoint: other.url, ownerPid: process.ppid }));
    const conn = asGcs(await resolveConnection(project, 'local_gcs', { env: {} }));
    assert.equal(conn.endpoint, other.url);
    assert.equal((await LocalEmulator.gcs(project.stateDir).ensureRunning()).isOwned, false);

    // A live owner that stopped answering keeps its folder: no second emulator is started over it.
    writeFileSync(
      path.join(project.stateDir, 'gcs-emulator.json'),
      JSON.stringify({ endpoint: 'http://127.0.0.1:1', ownerPid: process.ppid }),
    );
    await assert.rejects(
      resolveConnection(project, 'local_gcs', { env: {} }),
      new RegExp(`process ${process.ppid} runs the local GCS emulator .* but does not answer at http://127\\.0\\.0\\.1:1: stop it`),
    );
  } finally {
    await stopLocalEmulators(project.stateDir);
    await other.close();
  }
});

test('gcs blocks take default_connections.gcs, a named connection merged under inline fields, and refuse other types', async () => {
  const temp = createTempProject({ default_connections: { gcs: 'local_gcs' } });
  temp.writeFile(
    'connections.yaml',
    JSON.stringify({
      local_gcs: { type: 'local_gcs' },
      unreachable: { type: 'gcs', endpoint: 'http://127.0.0.1:1', credentials: 'none' },
      warehouse: { type: 'local_bigquery' },
    }),
  );
  temp.writeFile('data/sales.csv', 'day,amount\n2024-01-01,1\n2024-01-02,2\n2024-01-02,3\n');
  const other = await startGcsEmulator({ root: path.join(temp.dir, 'other-gcs') });
  const exportTo = (id: string, config: Record<string, unknown>) => ({
    id,
    type: 'export',
    kind: 'gcs',
    upstream: ['sales'],
    config: { bucket: 'lake', create_bucket: true, ...config },
  });
  temp.writePipeline('p', {
    blocks: [
      { id: 'sales', type: 'source', kind: 'local_file', config: { path: 'data/sales.csv' } },
      exportTo('by_default', { path: 'sales', partition_by: ['day'] }),
      exportTo('inline_wins', { connection: 'unreachable', endpoint: other.url, path: 'sales.parquet' }),
    ],
  });
  temp.writePipeline('wrong', {
    blocks: [
      { id: 'sales', type: 'source', kind: 'local_file', config: { path: 'data/sales.csv' } },
      exportTo('to_bq', { connection: 'warehouse', path: 'x.parquet' }),
    ],
  });
  const open = await openProject(temp.dir);
  try {
    const result = await open.run({ pipeline: await open.loadPipeline('p'), scope: { kind: 'pipeline' }, trigger: { kind: 'test' } });
    assert.equal(result.status, 'succeeded', JSON.stringify(result.blocks));
    const [onOther] = await new Storage({ apiEndpoint: other.url, projectId: 'p' }).bucket('lake').getFiles();
    assert.deepEqual(
      onOther.map((f) => f.name),
      ['sales.parquet'],
    );
    const local = asGcs(await resolveConnection(open.project, 'local_gcs', { env: {} }));
    const [onLocal] = await new Storage({ apiEndpoint: local.endpoint, projectId: 'p' }).bucket('lake').getFiles();
    assert.deepEqual(
      onLocal.map((f) => f.name),
      ['sales/day=2024-01-01/part-00000.parquet', 'sales/day=2024-01-02/part-00000.parquet'],
    );

    const events: string[] = [];
    const wrong = await open.run(
      { pipeline: await open.loadPipeline('wrong'), scope: { kind: 'pipeline' }, trigger: { kind: 'test' } },
      (e) => {
        if (e.type === 'block.failed') events.push(e.error.message);
      },
    );
    assert.equal(wrong.status, 'failed');
    assert.match(events.join('\n'), /connection warehouse has type local_bigquery; this block needs gcs or local_gcs/);
  } finally {
    await open.close();
    await other.close();
    temp.cleanup();
  }
  const record = path.join(temp.dir, '.pipewright', 'gcs-emulator.json');
  assert.equal(existsSync(record), false, 'closing the project stopped its emulator');
});

test('connections test lists buckets on local_gcs and datasets on local_bigquery, and tells unreachable hosts from refused credentials', async () => {
  const refusing = createServer((req, res) => {
    req.resume();
    res.writeHead(401, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        error: { code: 401, message: 'Request had invalid authentication credentials.', errors: [{ reason: 'authError' }] },
      }),
    );
  });
  await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
  const temp = createTempProject();
  temp.writeFile(
    'connections.yaml',
    JSON.stringify({
      local_gcs: { type: 'local_gcs' },
      local_bq: { type: 'local_bigquery', location: 'EU' },
      closed: { type: 'gcs', endpoint: 'http://127.0.0.1:1', credentials: 'none' },
      refusing: { type: 'gcs', endpoint: `http://127.0.0.1:${(refusing.address() as AddressInfo).port}`, credentials: 'none' },
    }),
  );
  try {
    const ok = await runCli(['connections', 'test', 'local_gcs', '--project', temp.dir]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /local_gcs: project pipewright-local at http:\/\/127\.0\.0\.1:\d+, credentials none \(local_gcs\)/);
    assert.match(ok.stdout, /reachable: yes\nauth: ok\nbuckets: 0\n/);

    const bq = await runCli(['connections', 'test', 'local_bq', '--project', temp.dir]);
    assert.equal(bq.code, 0, bq.stdout + bq.stderr);
    assert.match(bq.stdout, /local_bq: project pipewright-local at http:\/\/127\.0\.0\.1:\d+, credentials none \(local_bigquery\)/);
    assert.match(bq.stdout, /reachable: yes\nauth: ok\ndatasets: 0\n/);

    const closed = await runCli(['connections', 'test', 'closed', '--project', temp.dir]);
    assert.equal(closed.code, 1);
    assert.match(closed.stdout, /reachable: no\nerror: nothing answers at http:\/\/127\.0\.0\.1:1 \(check closed\.endpoint/);

    const refused = await runCli(['connections', 'test', 'refusing', '--project', temp.dir]);
    assert.equal(refused.code, 1);
    assert.match(refused.stdout, /reachable: yes\nauth: failed\nerror: .* refused the credentials/);
  } finally {
    refusing.close();
    temp.cleanup();
  }
});

test("a gcs block on Application Default Credentials that cannot load fails as the user's to fix, naming the variable", async () => {
  const temp = createTempProject({ engine: { retry: { retries: 2, delay: 0.01 } } });
  temp.writeFile('connections.yaml', JSON.stringify({ cloud: { type: 'gcs', project_id: 'my-project', credentials: 'adc' } }));
  temp.writeFile('data/sales.csv', 'day,amount\n2024-01-01,1\n');
  temp.writePipeline('p', {
    blocks: [
      { id: 'sales', type: 'source', kind: 'local_file', config: { path: 'data/sales.csv' } },
      {
        id: 'to_gcs',
        type: 'export',
        kind: 'gcs',
        upstream: ['sales'],
        config: { connection: 'cloud', bucket: 'lake', path: 'sales.parquet' },
      },
    ],
  });
  const previous = process.env.GOOGLE_APPLICATION_CREDENTIALS;
  process.env.GOOGLE_APPLICATION_CREDENTIALS = path.join(temp.dir, 'keys', 'missing.json');
  const open = await openProject(temp.dir);
  try {
    const result = await open.run({ pipeline: await open.loadPipeline('p'), scope: { kind: 'pipeline' }, trigger: { kind: 'test' } });
    const block = result.blocks.find((b) => b.id === 'to_gcs');
    assert.equal(block?.status, 'failed');
    assert.equal(block?.attempts, 1, 'not retried: only the user can fix it');
    assert.equal(block?.error?.kind, 'user');
    assert.match(block?.error?.message ?? '', /the key file named by GOOGLE_APPLICATION_CREDENTIALS cannot be read/);
    assert.equal(block?.error?.place?.path, 'config.credentials');
  } finally {
    if (previous === undefined) delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
    else process.env.GOOGLE_APPLICATION_CREDENTIALS = previous;
    await open.close();
    temp.cleanup();
  }
});
