import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { APP_INDEX_URL } from '../main/electron/app-protocol.ts';
import type { InvokeEvent } from '../main/electron/electron-types.ts';
import type { CallReply } from '../main/electron/ipc-protocol.ts';
import { chooseProjectDir, startDesktopApp } from '../main/electron/desktop-app.ts';
import { createFakeElectron } from './helpers/fake-electron.ts';
import { createTempProject } from './helpers/temp-project.ts';
import { spawn } from 'node:child_process';
import { CLI_ENTRY, runCli } from './helpers/run-cli.ts';
import { readServerFile } from '../main/serve/server-file.ts';
import { ensureRendererBuilt } from './helpers/browser.ts';
import { waitUntil } from './helpers/wait-until.ts';
import { rawRequest } from './helpers/serve-client.ts';

const repo = path.resolve(import.meta.dirname, '..');
const indexHtml = path.join(repo, 'out', 'renderer', 'index.html');
// The window's page as main sees it: the built renderer served on app://.
const indexUrl = APP_INDEX_URL;

test('the desktop app serves the API contract over IPC for the project it opened and pushes run events to the window', async () => {
  const temp = createTempProject();
  temp.writeFile('blocks/answer.sql', 'select 42 as answer\n');
  temp.writePipeline('demo', { blocks: [{ id: 'answer', type: 'source', kind: 'sql', file: 'blocks/answer.sql' }] });
  const fake = createFakeElectron();
  const logs: string[] = [];
  const desktop = await startDesktopApp(fake.electron, {
    preloadPath: path.join(repo, 'out', 'preload', 'index.cjs'),
    renderer: { indexHtml },
    args: ['--project', temp.dir],
    env: {},
    cwd: repo,
    appRoot: repo,
    userDataDir: temp.dir,
    isPackaged: false,
    log: (line) => logs.push(line),
  });
  try {
    assert.ok(desktop);
    const call = fake.ipcHandlers.get('pw:call');
    assert.ok(call);
    const invoke = (request: unknown) =>
      Promise.resolve(call({ senderFrame: { url: indexUrl, parent: null } } satisfies InvokeEvent, request) as Promise<CallReply>);
    assert.deepEqual(await invoke({ method: 'pipelines.list', params: {} }), { ok: true, result: { pipelines: ['demo'] } });

    const bad = await invoke({ method: 'runs.start', params: { pipelineId: '' } });
    assert.equal(bad.ok, false, 'params are validated against the contract');
    assert.match(bad.ok ? '' : bad.error.message, /runs\.start: pipelineId/);

    // The window (IPC) and a terminal (HTTP, the app's local API) answer through one dispatcher: the same replies.
    const server = readServerFile(path.join(temp.dir, '.pipewright'));
    assert.ok(server, 'the app serves its local API');
    const headers = { authorization: `Bearer ${server.token}`, origin: server.origin, 'content-type': 'application/json' };
    const overHttp = async (request: unknown) =>
      JSON.parse(
        (await rawRequest(`${server.origin}/api/call`, { method: 'POST', headers, body: JSON.stringify(request) })).body,
      ) as CallReply;
    for (const request of [
      { method: 'pipelines.list', params: {} },
      { method: 'runs.start', params: { pipelineId: '' } },
      { method: 'runs.explode', params: {} },
      { method: 'runs.list', params: { limit: 0 } },
    ]) {
      assert.deepEqual(await overHttp(request), await invoke(request), JSON.stringify(request));
    }

    const started = await invoke({ method: 'runs.start', params: { pipelineId: 'demo' } });
    assert.ok(started.ok);
    const runId = (started.result as { runId: string }).runId;
    const sent = () => fake.windows[0]?.webContents.sent ?? [];
    const finished = () =>
      sent().some(([, message]) => (message as { payload?: { type?: string; runId?: string } }).payload?.type === 'run.finished');
    await waitUntil(finished, { what: 'run.finished to reach the window over pw:event' });
    const run = await invoke({ method: 'runs.get', params: { runId } });
    assert.equal(run.ok && (run.result as { run: { status: string } }).run.status, 'succeeded');
    assert.ok(
      logs.some((line) => line.includes(temp.dir)),
      'the project it opened is logged',
    );
  } finally {
    await desktop?.close();
    temp.cleanup();
  }
});

test('the window opens --project, then PIPEWRIGHT_PROJECT, then the project around the folder, then the example', async () => {
  const temp = createTempProject();
  const elsewhere = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'pw-none-')));
  const base = { env: {}, cwd: elsewhere, appRoot: repo, userDataDir: elsewhere, isPackaged: false };
  try {
    assert.equal(await chooseProjectDir({ ...base, args: ['--project', temp.dir] }), temp.dir);
    assert.equal(await chooseProjectDir({ ...base, args: [`--project=${temp.dir}`] }), temp.dir);
    assert.equal(await chooseProjectDir({ ...base, args: [], env: { PIPEWRIGHT_PROJECT: temp.dir } }), temp.dir);
    assert.equal(await chooseProjectDir({ ...base, args: [], cwd: path.join(temp.dir) }), temp.dir);
    assert.equal(
      await chooseProjectDir({ ...base, args: [] }),
      path.join(repo, 'examples', 'nyc-taxi'),
      'from a checkout: the example in place',
    );
    const packaged = await chooseProjectDir({ ...base, args: [], isPackaged: true });
    assert.equal(packaged, path.join(elsewhere, 'projects', 'nyc-taxi'), 'packaged: a copy of the example in the data folder');
    assert.equal(await chooseProjectDir({ ...base, args: [], isPackaged: true }), packaged, 'the copy is reused');
  } finally {
    temp.cleanup();
    rmSync(elsewhere, { recursive: true, force: true });
  }
});

test('start falls back to serving the UI to the browser when Electron cannot start, and says why', async () => {
  ensureRendererBuilt();
  const temp = createTempProject();
  const env = { ...process.env };
  delete env['DISPLAY'];
  delete env['WAYLAND_DISPLAY'];
  const child = spawn(process.execPath, ['--import', 'tsx', CLI_ENTRY, 'start', '--project', temp.dir, '--port', '0'], {
    cwd: repo,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    await waitUntil(() => /serving http/.test(output) || child.exitCode !== null, {
      what: 'start to serve the UI (or exit)',
      timeoutMs: 30_000,
      intervalMs: 50,
    });
    assert.match(output, /The desktop app cannot start here: .+\nServing the same UI to your browser instead/);
    const url = /serving (http:\/\/\S+)/.exec(output)?.[1];
    assert.ok(url, `a URL was printed:\n${output}`);
    const page = await fetch(url, { redirect: 'manual' });
    assert.ok(page.status === 200 || page.status === 302 || page.status === 303, `the UI answers (${page.status})`);
    child.kill('SIGINT');
    assert.equal(await exited, 0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    temp.cleanup();
  }
});

test('a second launch quits without opening the project, whose workspace the first one holds', async () => {
  const fake = createFakeElectron({ hasLock: false });
  const missing = path.join(os.tmpdir(), 'pw-no-such-project');
  const desktop = await startDesktopApp(fake.electron, {
    preloadPath: path.join(repo, 'out', 'preload', 'index.cjs'),
    renderer: { indexHtml },
    args: ['--project', missing],
    env: {},
    cwd: repo,
    appRoot: repo,
    userDataDir: missing,
    isPackaged: false,
    log: () => undefined,
  });
  assert.equal(desktop, null);
  assert.equal(fake.app.quitCount, 1);
  assert.equal(fake.windows.length, 0);
});

test('with the desktop app open, pipewright run in a terminal hands its run to the app, whose window sees it live', async () => {
  ensureRendererBuilt();
  const temp = createTempProject();
  temp.writeFile('blocks/answer.sql', 'select 42 as answer\n');
  temp.writePipeline('demo', { blocks: [{ id: 'answer', type: 'source', kind: 'sql', file: 'blocks/answer.sql' }] });
  const fake = createFakeElectron();
  const desktop = await startDesktopApp(fake.electron, {
    preloadPath: path.join(repo, 'out', 'preload', 'index.cjs'),
    renderer: { indexHtml },
    args: ['--project', temp.dir],
    env: {},
    cwd: repo,
    appRoot: repo,
    userDataDir: temp.dir,
    isPackaged: false,
    log: () => undefined,
  });
  const serverFile = path.join(temp.dir, '.pipewright', 'server.json');
  try {
    assert.ok(desktop);
    const advertised = readServerFile(path.dirname(serverFile));
    assert.equal(advertised?.pid, process.pid, 'the app advertises its local API');
    const call = fake.ipcHandlers.get('pw:call');
    const info = await Promise.resolve(
      call?.({ senderFrame: { url: indexUrl, parent: null } }, { method: 'app.info', params: {} }) as Promise<CallReply>,
    );
    assert.equal(
      info.ok && (info.result as { apiOrigin: string | null }).apiOrigin,
      advertised?.origin,
      'app.info names it, for the Triggers panel',
    );
    const result = await runCli(['run', 'demo', '--project', temp.dir, '--json']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /open in another Pipewright process .*: running through it/);
    const { runId } = JSON.parse(result.stdout) as { runId: string };
    const heard = (fake.windows[0]?.webContents.sent ?? []).filter(
      ([, message]) => (message as { payload?: { runId?: string } }).payload?.runId === runId,
    );
    assert.ok(
      heard.some(([, message]) => (message as { payload: { type: string } }).payload.type === 'run.finished'),
      'the window saw the CLI run finish',
    );
  } finally {
    await desktop?.close();
    temp.cleanup();
  }
  assert.equal(existsSync(serverFile), false, 'closing the app removes server.json');
});

test('PIPEWRIGHT_LOCAL_API=off keeps the desktop app off the network: no server.json', async () => {
  const temp = createTempProject();
  const fake = createFakeElectron();
  const desktop = await startDesktopApp(fake.electron, {
    preloadPath: path.join(repo, 'out', 'preload', 'index.cjs'),
    renderer: { indexHtml },
    args: ['--project', temp.dir],
    env: { PIPEWRIGHT_LOCAL_API: 'off' },
    cwd: repo,
    appRoot: repo,
    userDataDir: temp.dir,
    isPackaged: false,
    log: () => undefined,
  });
  try {
    assert.ok(desktop);
    assert.equal(existsSync(path.join(temp.dir, '.pipewright', 'server.json')), false);
  } finally {
    await desktop?.close();
    temp.cleanup();
  }
});
