import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import { UserError } from '../main/model/errors.ts';
import { contentSecurityPolicy } from '../main/serve/content-security-policy.ts';
import type { InvokeEvent } from '../main/electron/electron-types.ts';
import { createDispatcher, type ApiHandlers } from '../main/api/handlers.ts';
import type { CallReply } from '../main/electron/ipc-protocol.ts';
import { openExternalSafely } from '../main/electron/security.ts';
import { startShell } from '../main/electron/shell.ts';
import { APP_INDEX_URL } from '../main/electron/app-protocol.ts';
import { createFakeElectron } from './helpers/fake-electron.ts';

const repo = path.resolve(import.meta.dirname, '..');
const indexHtml = path.join(repo, 'out', 'renderer', 'index.html');
const indexUrl = APP_INDEX_URL;
const fileIndexUrl = pathToFileURL(indexHtml).href;
const preloadPath = path.join(repo, 'out', 'preload', 'index.cjs');

async function startFakeShell(opts: { devServerUrl?: string; handlers?: Partial<ApiHandlers>; hasLock?: boolean } = {}) {
  const fake = createFakeElectron({ hasLock: opts.hasLock ?? true });
  const renderer = { indexHtml, ...(opts.devServerUrl ? { devServerUrl: opts.devServerUrl } : {}) };
  const shell = await startShell(fake.electron, {
    preloadPath,
    renderer,
    ...(opts.handlers ? { api: createDispatcher(opts.handlers) } : {}),
  });
  const call = fake.ipcHandlers.get('pw:call');
  assert.ok(call, 'pw:call is registered');
  const invoke = (url: string | null, request: unknown, parent: unknown = null) =>
    Promise.resolve().then(
      () => call({ senderFrame: url === null ? null : { url, parent } } satisfies InvokeEvent, request) as Promise<CallReply>,
    );
  return { ...fake, shell, invoke };
}

function navigate(contents: { emit(event: string, ...args: unknown[]): void }, event: string, url: string): boolean {
  let isPrevented = false;
  contents.emit(event, { url, preventDefault: () => (isPrevented = true) });
  return isPrevented;
}

test('opens one isolated, sandboxed window without Node, with web security and the preload, shown once painted', async () => {
  const { windows } = await startFakeShell();
  assert.equal(windows.length, 1);
  const [window] = windows;
  assert.ok(window);
  const prefs = window.options.webPreferences ?? {};
  assert.equal(prefs.contextIsolation, true);
  assert.equal(prefs.sandbox, true);
  assert.equal(prefs.nodeIntegration, false);
  assert.equal(prefs.nodeIntegrationInSubFrames, false);
  assert.equal(prefs.webSecurity, true);
  assert.equal(prefs.webviewTag, false);
  assert.equal(prefs.preload, preloadPath);
  assert.deepEqual(window.loaded, { url: 'app://pipewright/index.html' });
  assert.equal(window.isShown, false);
  window.emit('ready-to-show');
  assert.equal(window.isShown, true);
});

test('sends the strict CSP header on every response, replacing one the server sent', async () => {
  const { session } = await startFakeShell();
  assert.ok(session.headersListener);
  let answered: Record<string, unknown> | undefined;
  session.headersListener({ responseHeaders: { 'content-security-policy': ['default-src *'], 'X-Kept': ['1'] } }, (response) => {
    answered = response.responseHeaders;
  });
  assert.deepEqual(answered, { 'X-Kept': ['1'], 'Content-Security-Policy': [contentSecurityPolicy()] });
  const policy = contentSecurityPolicy();
  assert.match(policy, /(^|; )default-src 'self'(;|$)/);
  assert.match(policy, /(^|; )script-src 'self'(;|$)/);
  assert.match(policy, /(^|; )connect-src 'self'(;|$)/);
});

test('the dev server gets an inline-script and WebSocket allowance, and only that', async () => {
  const { session, windows } = await startFakeShell({ devServerUrl: 'http://localhost:5173' });
  let policy = '';
  session.headersListener?.({}, (response) => (policy = String(response.responseHeaders?.['Content-Security-Policy'])));
  assert.match(policy, /script-src 'self' 'unsafe-inline'/);
  assert.match(policy, /connect-src 'self' ws:\/\/localhost:5173/);
  assert.match(policy, /default-src 'self';/);
  assert.deepEqual(windows[0]?.loaded, { url: 'http://localhost:5173' });
});

test('denies every permission request and check', async () => {
  const { session } = await startFakeShell();
  const answers: boolean[] = [];
  for (const permission of ['notifications', 'media', 'clipboard-read', 'geolocation']) {
    session.permissionRequest?.({}, permission, (granted) => answers.push(granted));
    answers.push(session.permissionCheck?.({}, permission) ?? true);
  }
  assert.deepEqual(answers, Array(8).fill(false));
});

test('cancels navigation away from the app, opening clicked http(s) links in the browser instead', async () => {
  const { windows, opened } = await startFakeShell();
  const contents = windows[0]?.webContents;
  assert.ok(contents);
  assert.equal(navigate(contents, 'will-navigate', 'https://duckdb.org/docs'), true);
  assert.equal(navigate(contents, 'will-navigate', 'file:///etc/passwd'), true);
  assert.equal(navigate(contents, 'will-navigate', fileIndexUrl), true, 'the built file itself is no longer the app');
  assert.equal(navigate(contents, 'will-navigate', 'app://evil/index.html'), true);
  assert.equal(navigate(contents, 'will-redirect', 'https://example.com/'), true);
  assert.equal(navigate(contents, 'will-navigate', `${indexUrl}#/runs`), false);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(opened, ['https://duckdb.org/docs']);
});

test('denies every new window and attached webview; only http(s) targets reach the browser', async () => {
  const { windows, opened } = await startFakeShell();
  const contents = windows[0]?.webContents;
  assert.ok(contents?.windowOpenHandler);
  assert.deepEqual(contents.windowOpenHandler({ url: 'https://example.com/a' }), { action: 'deny' });
  assert.deepEqual(contents.windowOpenHandler({ url: 'file:///home/me/.ssh/id_rsa' }), { action: 'deny' });
  assert.deepEqual(contents.windowOpenHandler({ url: indexUrl }), { action: 'deny' });
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(opened, ['https://example.com/a']);
  let isPrevented = false;
  contents.emit('will-attach-webview', { preventDefault: () => (isPrevented = true) }, {}, {});
  assert.equal(isPrevented, true);
});

test('openExternalSafely opens http and https URLs and refuses every other scheme', async () => {
  const opened: string[] = [];
  const shell = { openExternal: async (url: string) => void opened.push(url) };
  const cases: [string, boolean][] = [
    ['https://duckdb.org/', true],
    ['HTTP://Example.com/a b', true],
    ['file:///etc/passwd', false],
    ['javascript:alert(1)', false],
    ['smb://attacker/share', false],
    ['ms-msdt:/id PCWDiagnostic', false],
    ['not a url', false],
  ];
  for (const [url, expected] of cases) assert.equal(await openExternalSafely(shell, url), expected, url);
  assert.deepEqual(opened, ['https://duckdb.org/', 'http://example.com/a%20b']);
});

test('refuses pw:call from any frame but the main frame of our renderer', async () => {
  const { invoke } = await startFakeShell({ devServerUrl: 'http://localhost:5173' });
  const request = { method: 'app.info', params: {} };
  for (const [url, parent] of [
    ['https://evil.test/', null],
    ['http://localhost:5173.evil.test/', null],
    ['http://localhost:5174/', null],
    ['file:///tmp/other/index.html', null],
    [fileIndexUrl, null],
    [indexUrl, { url: indexUrl }],
    ['app://evil/index.html', null],
    ['app://pipewright:8080/index.html', null],
    ['app://user@pipewright/index.html', null],
    [null, null],
  ] as const) {
    await assert.rejects(invoke(url, request, parent), /pw:call refused: the sender is not the Pipewright window/, String(url));
  }
  assert.deepEqual(await invoke('http://localhost:5173/index.html', request), {
    ok: true,
    result: { version: '9.8.7', node: process.versions.node, electron: process.versions.electron ?? null },
  });
  const built = await startFakeShell();
  for (const url of [fileIndexUrl, 'http://localhost:5173/index.html']) await assert.rejects(built.invoke(url, request), /refused/, url);
  assert.equal((await built.invoke(`${indexUrl}#/home`, request)).ok, true);
  assert.equal((await built.invoke('app://pipewright/runs?x=1', request)).ok, true);
});

test('answers app.info to the renderer with the app and runtime versions', async () => {
  const { invoke } = await startFakeShell();
  assert.deepEqual(await invoke(indexUrl, { method: 'app.info', params: {} }), {
    ok: true,
    result: { version: '9.8.7', node: process.versions.node, electron: process.versions.electron ?? null },
  });
});

test('answers an unknown method or a malformed request with a user error, not a crash', async () => {
  const { invoke } = await startFakeShell();
  const errorOf = (reply: CallReply) => (reply.ok ? assert.fail(`expected an error, got ${JSON.stringify(reply.result)}`) : reply.error);
  const unknown = errorOf(await invoke(indexUrl, { method: 'pipelines.explode', params: {} }));
  assert.equal(unknown.kind, 'user');
  assert.match(unknown.message, /unknown method 'pipelines\.explode'/);
  const offList = errorOf(await invoke(indexUrl, { method: 'runs.start', params: { pipelineId: 'p' } }));
  assert.match(offList.message, /unknown method 'runs\.start'/, 'a contract method this shell has no handler for');
  const malformed = errorOf(await invoke(indexUrl, 'app.info'));
  assert.equal(malformed.kind, 'user');
  assert.match(malformed.message, /expects \{ method: string, params \}/);
  const inherited = errorOf(await invoke(indexUrl, { method: 'toString', params: {} }));
  assert.match(inherited.message, /unknown method 'toString'/);
});

test('serves injected handlers with their params as the contract parsed them, and returns their errors in the transport shape', async () => {
  const handlers: Partial<ApiHandlers> = {
    'runs.list': async (params) => ({ got: params }),
    'pipelines.get': async () => {
      throw new UserError('no pipeline named nope', { file: 'pipelines/nope/pipeline.yaml' });
    },
  };
  const { invoke } = await startFakeShell({ handlers });
  assert.deepEqual(await invoke(indexUrl, { method: 'runs.list', params: { pipelineId: 'p' } }), {
    ok: true,
    result: { got: { pipelineId: 'p', limit: 50, offset: 0 } },
  });
  const bad = await invoke(indexUrl, { method: 'runs.list', params: { limit: 0 } });
  assert.match(bad.ok ? '' : bad.error.message, /^runs\.list: limit: /, 'params are validated over IPC as over HTTP');
  assert.deepEqual(await invoke(indexUrl, { method: 'pipelines.get', params: { pipelineId: 'nope' } }), {
    ok: false,
    error: { kind: 'user', message: 'no pipeline named nope', retryable: false, place: { file: 'pipelines/nope/pipeline.yaml' } },
  });
});

test('pushes events to the renderer on pw:event and skips closed windows', async () => {
  const { shell, windows } = await startFakeShell();
  assert.ok(shell);
  shell.emit('runs.event', { type: 'run.started', runId: 'r1' });
  const contents = windows[0]?.webContents;
  assert.deepEqual(contents?.sent, [['pw:event', { event: 'runs.event', payload: { type: 'run.started', runId: 'r1' } }]]);
  if (contents) contents.destroyed = true;
  shell.emit('runs.event', { type: 'run.finished' });
  assert.equal(contents?.sent.length, 1);
});

test('a second instance quits without a window, and the first one comes to the front', async () => {
  const first = await startFakeShell();
  first.app.emit('second-instance');
  assert.equal(first.windows[0]?.focusCount, 1);
  const fake = createFakeElectron({ hasLock: false });
  assert.equal(await startShell(fake.electron, { preloadPath, renderer: { indexHtml } }), null);
  assert.deepEqual([fake.app.quitCount, fake.windows.length], [1, 0]);
});

test("electron-builder.yml passes electron-builder's own schema and unpacks the native modules", async () => {
  const config = parse(readFileSync(path.join(repo, 'electron-builder.yml'), 'utf8')) as {
    appId: string;
    asarUnpack: string[];
    files: string[];
  };
  const builderRequire = createRequire(createRequire(import.meta.url).resolve('electron-builder/package.json'));
  const { validateConfiguration } = builderRequire('app-builder-lib/out/util/config/config.js') as {
    validateConfiguration(config: unknown, logger: { isEnabled: boolean; add(): void }): Promise<void>;
  };
  const logger = { isEnabled: false, add: () => undefined };
  const fuses = (config as { electronFuses?: Record<string, boolean> }).electronFuses ?? {};
  assert.equal(fuses['grantFileProtocolExtraPrivileges'], false, 'the renderer is on app://, so file:// needs no extra privileges');
  assert.equal(fuses['runAsNode'], false);
  await validateConfiguration(config, logger);
  await assert.rejects(validateConfiguration({ ...config, asarUnpak: [] }, logger), /unknown property 'asarUnpak'/);
  assert.equal(config.appId, 'dev.pipewright.app');
  assert.deepEqual(
    config.files,
    ['out/**', 'main/python/py/**', 'examples/**', '!examples/**/.pipewright/**', '!examples/**/output/**'],
    'the build and the example, never its local results',
  );
  for (const pattern of ['**/node_modules/better-sqlite3/**', '**/node_modules/@duckdb/**', '**/node_modules/@esbuild/**']) {
    assert.ok(config.asarUnpack.includes(pattern), pattern);
  }
});
