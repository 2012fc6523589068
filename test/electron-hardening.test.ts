import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { methods } from '../main/api/contract.ts';
import { createDispatcher, type ApiHandlers } from '../main/api/handlers.ts';
import { APP_INDEX_URL } from '../main/electron/app-protocol.ts';
import type { SyncIpcEvent } from '../main/electron/electron-types.ts';
import { installDesktopFaultPolicy } from '../main/electron/fault-policy.ts';
import { startShell } from '../main/electron/shell.ts';
import { runInFaultScope } from '../main/engine/fault-scope.ts';
import { FAULT_STORM_EXIT_CODE } from '../main/runtime/last-resort.ts';
import { createBridge } from '../preload/bridge.ts';
import { createFakeElectron } from './helpers/fake-electron.ts';

const rendererDir = mkdtempSync(path.join(os.tmpdir(), 'pw-app-scheme-'));
mkdirSync(path.join(rendererDir, 'assets'));
writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><script type="module" src="./assets/app.js"></script>');
writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'console.log("ui")');
after(() => rmSync(rendererDir, { recursive: true, force: true }));

async function startFake() {
  const fake = createFakeElectron();
  const shell = await startShell(fake.electron, {
    preloadPath: '/preload.cjs',
    renderer: { indexHtml: path.join(rendererDir, 'index.html') },
  });
  assert.ok(shell);
  return fake;
}

test('the window loads the renderer from app://pipewright/, served from the build with the CSP, and nothing else', async () => {
  const { windows, protocolHandlers } = await startFake();
  assert.deepEqual(windows[0]?.loaded, { url: APP_INDEX_URL });
  const handle = protocolHandlers.get('app');
  assert.ok(handle, 'main serves the app: scheme');
  const get = (url: string, method = 'GET') => Promise.resolve(handle(new Request(url, { method })));
  const index = await get(APP_INDEX_URL);
  assert.equal(index.status, 200);
  assert.match(index.headers.get('content-type') ?? '', /text\/html/);
  assert.match(index.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  assert.match(await index.text(), /assets\/app\.js/);
  const script = await get('app://pipewright/assets/app.js');
  assert.equal(script.status, 200);
  assert.match(script.headers.get('content-type') ?? '', /javascript/);
  for (const url of [
    'app://pipewright/%2e%2e/%2e%2e/etc/passwd',
    'app://pipewright/..%2f..%2fetc%2fpasswd',
    'app://pipewright/missing.js',
    'app://other/index.html',
    'app://pipewright/index.html%00',
  ]) {
    assert.equal((await get(url)).status, 404, url);
  }
  assert.equal((await get(APP_INDEX_URL, 'POST')).status, 405);
});

test('main lists the callable methods to our window only, and the desktop app lists exactly the contract', async () => {
  const { ipcListeners } = await startFake();
  const list = ipcListeners.get('pw:methods');
  assert.ok(list);
  const ask = (url: string, parent: unknown = null) => {
    const event: SyncIpcEvent = { senderFrame: { url, parent }, returnValue: undefined };
    list(event);
    return event.returnValue;
  };
  assert.deepEqual(ask(APP_INDEX_URL), ['app.info']);
  assert.deepEqual(ask('https://evil.test/'), []);
  assert.deepEqual(ask(APP_INDEX_URL, { url: APP_INDEX_URL }), [], 'not to an iframe');
  const everyMethod = Object.fromEntries(
    [...Object.keys(methods), 'shell.exec'].map((name) => [name, async () => null]),
  ) as unknown as ApiHandlers;
  assert.deepEqual(createDispatcher(everyMethod).methods, Object.keys(methods).sort(), 'the contract, and nothing a handler map adds');
});

test('the preload bridge reaches main only for methods on the allow-list', async () => {
  const invoked: unknown[] = [];
  const listeners: ((event: string, payload: unknown) => void)[] = [];
  const bridge = createBridge(
    {
      invoke: async (request) => {
        invoked.push(request);
        return { ok: true, result: 'from main' };
      },
      listen: (forward) => {
        listeners.push(forward);
        return () => listeners.splice(listeners.indexOf(forward), 1);
      },
    },
    new Set(['runs.start', 'app.info']),
  );
  assert.deepEqual(await bridge.call('runs.start', { pipelineId: 'p' }), { ok: true, result: 'from main' });
  assert.deepEqual(await bridge.call('app.info'), { ok: true, result: 'from main' });
  for (const method of ['fs.readFile', '__proto__', 'constructor', 'toString', 42 as unknown as string]) {
    const reply = await bridge.call(method, {});
    assert.equal(reply.ok, false, String(method));
    if (!reply.ok) assert.match(reply.error.message, /is not part of the Pipewright API/);
  }
  assert.deepEqual(invoked, [
    { method: 'runs.start', params: { pipelineId: 'p' } },
    { method: 'app.info', params: {} },
  ]);
  const seen: unknown[] = [];
  const stop = bridge.on('runs.event', (payload) => seen.push(payload));
  listeners.forEach((forward) => forward('runs.event', 1));
  listeners.forEach((forward) => forward('alerts.raised', 2));
  stop();
  listeners.forEach((forward) => forward('runs.event', 3));
  assert.deepEqual(seen, [1]);
});

test('a fault in main keeps the window: a block fault fails that attempt, any other is logged and reported once a minute', async () => {
  const fake = await startFake();
  const target = new EventEmitter();
  const logs: string[] = [];
  let clock = 0;
  const remove = installDesktopFaultPolicy(fake.electron, { target, now: () => clock, log: (m) => logs.push(m) });
  try {
    const failed: string[] = [];
    runInFaultScope({ runId: 'r1', blockId: 'load', fail: (e) => failed.push(e.message) > 0 }, () =>
      target.emit('uncaughtException', new Error('socket callback threw')),
    );
    assert.deepEqual(failed, ["uncaught exception in the block's work: socket callback threw"]);
    assert.equal(fake.dialog.messageBoxes.length, 0, 'the run shows a block fault; no box for it');
    target.emit('unhandledRejection', new Error('watcher lost its folder'));
    clock += 1_000;
    target.emit('uncaughtException', new Error('second one'));
    assert.equal(fake.dialog.messageBoxes.length, 1, 'one notice a minute at most');
    assert.match(String(fake.dialog.messageBoxes[0]?.detail), /watcher lost its folder/);
    clock += 61_000;
    target.emit('uncaughtException', new Error('a minute later'));
    assert.equal(fake.dialog.messageBoxes.length, 2);
    assert.ok(
      logs.some((l) => /kept running:\nError: watcher lost its folder/.test(l)),
      'logged with its stack',
    );
    assert.deepEqual([fake.app.quitCount, fake.app.exitCodes, fake.windows.length], [0, [], 1], 'the window stays');
  } finally {
    remove();
  }
});

test('a storm of faults in main tells the user and exits instead of running on broken', async () => {
  const fake = await startFake();
  const target = new EventEmitter();
  const remove = installDesktopFaultPolicy(fake.electron, { target, log: () => undefined });
  try {
    for (let i = 0; i < 10; i++) target.emit('uncaughtException', new Error(`fault ${i}`));
    assert.deepEqual(fake.app.exitCodes, [FAULT_STORM_EXIT_CODE]);
    assert.equal(fake.dialog.errorBoxes[0]?.title, 'Pipewright must stop');
  } finally {
    remove();
  }
});

test('a crashed page is reloaded, a few times a minute at most, and a clean exit is left alone', async () => {
  const { windows } = await startFake();
  const contents = windows[0]?.webContents;
  assert.ok(contents);
  contents.emit('render-process-gone', {}, { reason: 'clean-exit', exitCode: 0 });
  assert.equal(contents.reloadCount, 0);
  for (let i = 0; i < 5; i++) contents.emit('render-process-gone', {}, { reason: 'crashed', exitCode: 139 });
  assert.equal(contents.reloadCount, 3, 'no crash loop');
});
