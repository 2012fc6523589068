import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { CLI_ENTRY, runCli } from './helpers/run-cli.ts';
import { createPgProject, startTestPostgres, type TestPostgres } from './helpers/postgres.ts';

let pgServer: TestPostgres;
const configDir = mkdtempSync(path.join(os.tmpdir(), 'pw-config-'));
before(async () => {
  pgServer = await startTestPostgres();
  // The CLI children inherit this: their key file goes to a temp folder, not the user's home.
  process.env.PIPEWRIGHT_CONFIG_DIR = configDir;
});
after(async () => {
  await pgServer.stop();
  rmSync(configDir, { recursive: true, force: true });
});

test('connections test reports reachability, auth and server version, and exits 1 with the reason on failure', async () => {
  const project = createPgProject(pgServer);
  try {
    const ok = await runCli(['connections', 'test', 'pg', '--project', project.dir]);
    assert.equal(ok.code, 0, ok.stderr + ok.stdout);
    assert.match(ok.stdout, /reachable: yes\nauth: ok\nserver: PostgreSQL 18/);

    const badPassword = await runCli(['connections', 'test', 'pg', '--project', project.dir, '--conn', 'pg.password=wrong']);
    assert.equal(badPassword.code, 1);
    assert.match(badPassword.stdout, /reachable: yes\nauth: failed\nerror: authentication failed on pg/);

    const closed = await runCli([
      'connections',
      'test',
      'pg',
      '--project',
      project.dir,
      '--conn',
      'pg.host=127.0.0.1',
      '--conn',
      'pg.port=1',
    ]);
    assert.equal(closed.code, 1);
    assert.match(closed.stdout, /reachable: no\nerror: nothing listens on 127\.0\.0\.1:1/);
  } finally {
    project.cleanup();
  }
});

test('run --conn overrides a connection field for one run only', async () => {
  const project = createPgProject(pgServer);
  try {
    project.writePipeline('p', { blocks: [{ id: 'from_pg', type: 'source', kind: 'postgres', config: { query: 'select 1 as one' } }] });
    const bad = await runCli(['run', 'p', '--project', project.dir, '--conn', 'pg.password=wrong', '--json']);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /authentication failed on pg/);
    const good = await runCli(['run', 'p', '--project', project.dir, '--json']);
    assert.equal(good.code, 0, good.stderr);
  } finally {
    project.cleanup();
  }
});

test('connections secret set stores a value from stdin that a { secret } reference then resolves', async () => {
  const project = createPgProject(pgServer, {});
  try {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', CLI_ENTRY, 'connections', 'secret', 'set', 'pg_password', '--project', project.dir],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    child.stdin.end(`${pgServer.conn.password}\n`);
    const code = await new Promise((resolve) => child.on('close', resolve));
    assert.equal(code, 0);
    const file = readFileSync(path.join(project.dir, '.pipewright', 'secrets.json'), 'utf8');
    assert.ok(!file.includes(pgServer.conn.password ?? '?'), 'the secret is not stored in plain text');
    const { host, port, user } = pgServer.conn;
    project.writeFile(
      'connections.yaml',
      JSON.stringify({ pg: { type: 'postgres', host, port, user, database: 'test', password: { secret: 'pg_password' } } }),
    );
    const tested = await runCli(['connections', 'test', 'pg', '--project', project.dir]);
    assert.equal(tested.code, 0, tested.stdout);
  } finally {
    project.cleanup();
  }
});

test('sandbox starts the local Postgres, prints a working psql URL, and stops it on Ctrl-C', async () => {
  const project = createPgProject(pgServer, { local_pg: { type: 'local_postgres', database: 'ny_taxi' } });
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI_ENTRY, 'sandbox', '--project', project.dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const match = /psql "([^"]+)"/.exec(out);
        if (match?.[1]) resolve(match[1]);
      });
      child.on('close', () => reject(new Error(`sandbox exited early: ${out}`)));
    });
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query('select current_database() as db');
    await client.end();
    assert.equal(rows[0]?.db, 'ny_taxi');
    const pid = Number(readFileSync(path.join(project.dir, '.pipewright', 'postgres', 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
    child.kill('SIGINT');
    const code = await new Promise((resolve) => child.on('close', resolve));
    assert.equal(code, 0);
    assert.match(out, /stopped/);
    assert.throws(() => process.kill(pid, 0), /ESRCH/, 'the Postgres server has exited');
  } finally {
    project.cleanup();
  }
});
