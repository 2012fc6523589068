import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../main/model/errors.ts';
import { loadProject } from '../main/project/load-project.ts';
import { loadPipeline } from '../main/project/load-pipeline.ts';
import { openProject } from '../main/runtime/open-project.ts';
import { createDefaultRegistry } from '../main/blocks/index.ts';
import { startServeServer } from '../main/serve/serve-server.ts';
import { prepareBrowserLaunch } from '../main/cli/browser-launch.ts';
import { createTempProject } from './helpers/temp-project.ts';
import { CLI_ENTRY, runCli } from './helpers/run-cli.ts';
import { rawRequest } from './helpers/serve-client.ts';

test("a NUL in a block's file: is an error at its line, not a stack trace", async () => {
  const temp = createTempProject();
  try {
    temp.writeFile('pipelines/p/pipeline.yaml', 'blocks:\n  - id: q\n    type: transform\n    kind: sql\n    file: "blocks/a\\0.sql"\n');
    const project = await loadProject(temp.dir);
    await assert.rejects(loadPipeline(project, 'p', createDefaultRegistry()), (error: unknown) => {
      assert.ok(error instanceof UserError, String(error));
      assert.equal(error.place.line, 5);
      assert.equal(error.place.path, 'blocks[0].file');
      assert.match(error.message, /contains a NUL character/);
      return true;
    });
  } finally {
    temp.cleanup();
  }
});

test("a memory_limit beyond the machine's memory is refused, naming the field and the machine's size", async () => {
  const temp = createTempProject({ engine: { memory_limit: '999999TB' } });
  try {
    await assert.rejects(loadProject(temp.dir), (error: unknown) => {
      assert.ok(error instanceof UserError);
      assert.equal(error.place.path, 'engine.memory_limit');
      assert.match(error.message, /999999TB is more than this machine's memory \([\d.]+ GiB\)/);
      return true;
    });
  } finally {
    temp.cleanup();
  }
  const fits = createTempProject({ engine: { memory_limit: '256MB' } });
  try {
    assert.equal((await loadProject(fits.dir)).settings.engine.memory_limit, '256MB');
  } finally {
    fits.cleanup();
  }
});

test("a run history that cannot be written is a clear error at open, not SQLite's stack trace mid-run", async (t) => {
  const temp = createTempProject();
  const history = path.join(temp.dir, '.pipewright', 'history.sqlite');
  try {
    await (await openProject(temp.dir)).close();
    // Tests run as root, which file modes do not stop: the immutable attribute does (where the file system has it).
    if (spawnSync('chattr', ['+i', history]).status !== 0) return t.skip('chattr +i is not available here');
    await assert.rejects(openProject(temp.dir), (error: unknown) => {
      assert.ok(error instanceof UserError, String(error));
      assert.equal(error.place.file, history);
      assert.match(error.message, /the run history cannot be written \(SQLITE_READONLY\)/);
      return true;
    });
  } finally {
    spawnSync('chattr', ['-i', history]);
    temp.cleanup();
  }
});

test('serve on a non-loopback host needs --expose, and says what it would expose', async () => {
  const temp = createTempProject();
  try {
    const result = await runCli(['serve', '--project', temp.dir, '--host', '0.0.0.0', '--port', '0']);
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      /--host 0\.0\.0\.0 would make this project reachable from other machines: anyone with the token can run pipelines/,
    );
    assert.match(result.stderr, /Add --expose/);
    assert.doesNotMatch(result.stdout, /serving/);
  } finally {
    temp.cleanup();
  }
});

test('with --expose, serve listens beyond loopback and warns what it exposes', async (t) => {
  if (!existsSync(path.join(CLI_ENTRY, '..', '..', '..', 'out', 'renderer', 'index.html')))
    return t.skip('the UI is not built (npm run build)');
  const temp = createTempProject();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', CLI_ENTRY, 'serve', '--project', temp.dir, '--host', '0.0.0.0', '--port', '0', '--expose'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not start in 60 s: ${stderr}`)), 60_000);
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (/serving http/.test(stdout)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on('exit', () => reject(new Error(`serve exited: ${stderr}`)));
    });
    assert.match(stderr, /--expose: serving on 0\.0\.0\.0, reachable from other machines: anyone with the token can run pipelines/);
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.on('exit', resolve));
      child.kill('SIGINT');
      await exited;
    }
    temp.cleanup();
  }
});

test("the browser is opened through a private page: the token never is on the opener's command line", async () => {
  const url = 'http://127.0.0.1:6789/?token=SECRET-TOKEN-abc';
  for (const platform of ['linux', 'darwin', 'win32'] as const) {
    const launch = await prepareBrowserLaunch(url, platform);
    try {
      assert.ok(!launch.args.join(' ').includes('SECRET-TOKEN'), platform);
      const page = launch.args.find((a) => a.includes('open.html'))?.replace(/^file:\/\//, '') ?? '';
      const file = platform === 'win32' ? decodeURIComponent(page) : page;
      assert.ok(existsSync(file), file);
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.equal(statSync(path.dirname(file)).mode & 0o777, 0o700);
      assert.match(readFileSync(file, 'utf8'), /location\.replace\("http:\/\/127\.0\.0\.1:6789\/\?token=SECRET-TOKEN-abc"\)/);
      await launch.cleanup();
      assert.equal(existsSync(file), false);
    } finally {
      await launch.cleanup();
    }
  }
});

test("serve accepts any block code blocks.saveCode allows, and a longer one gets the contract's error, not 413", async () => {
  const temp = createTempProject();
  temp.writePipeline('p', { blocks: [{ id: 'src', type: 'source', kind: 'sql', file: 'blocks/src.sql' }] });
  temp.writeFile('blocks/src.sql', 'select 1 as n\n');
  const rendererDir = mkdtempSync(path.join(os.tmpdir(), 'pw-renderer-'));
  writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>ui</title>');
  const open = await openProject(temp.dir);
  const server = await startServeServer({ open, rendererDir, host: '127.0.0.1', port: 0 });
  const origin = `http://127.0.0.1:${server.port}`;
  const save = (text: string) =>
    rawRequest(`${origin}/api/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin, authorization: `Bearer ${server.token}` },
      body: JSON.stringify({ method: 'blocks.saveCode', params: { pipelineId: 'p', blockId: 'src', text } }),
    });
  try {
    // 1.9 MB of code, mostly characters JSON escapes (a tab is 2 bytes, a control character 6).
    const big = `select 1 as n -- ${'\t'.repeat(900_000)}${'\u0001'.repeat(100_000)}\n`;
    const saved = await save(big);
    assert.equal(saved.status, 200, saved.body.slice(0, 200));
    assert.equal(JSON.parse(saved.body).ok, true, saved.body.slice(0, 300));
    assert.equal(readFileSync(path.join(temp.dir, 'blocks', 'src.sql'), 'utf8'), big);
    const tooBig = await save('x'.repeat(2 * 1024 * 1024 + 1));
    assert.equal(tooBig.status, 200);
    assert.match(tooBig.body, /at most 2 MB of code/);
  } finally {
    await server.close();
    await open.close();
    temp.cleanup();
    rmSync(rendererDir, { recursive: true, force: true });
  }
});
