import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ELECTRON_MAIN, electronLaunchOptions, findElectronBinary, uiTarget } from './helpers/app.ts';
import { useUserDataDirFromEnv } from '../main/electron/desktop-app.ts';
import { createFakeElectron } from './helpers/fake-electron.ts';

test('the UI specs run against serve unless PIPEWRIGHT_UI_TARGET=electron', () => {
  assert.equal(uiTarget({}), 'serve');
  assert.equal(uiTarget({ PIPEWRIGHT_UI_TARGET: 'chromium' }), 'serve');
  assert.equal(uiTarget({ PIPEWRIGHT_UI_TARGET: 'electron' }), 'electron');
});

test('finds the Electron binary the electron package downloaded, and says what to do when it is missing', () => {
  const pkg = mkdtempSync(path.join(os.tmpdir(), 'pw-electron-pkg-'));
  try {
    assert.throws(() => findElectronBinary({}, pkg), /Electron binary is not installed.*npx install-electron.*PIPEWRIGHT_ELECTRON_PATH/);
    writeFileSync(path.join(pkg, 'path.txt'), 'electron');
    assert.throws(() => findElectronBinary({}, pkg), /not installed/, 'path.txt alone is not a binary');
    mkdirSync(path.join(pkg, 'dist'));
    writeFileSync(path.join(pkg, 'dist', 'electron'), '');
    assert.equal(findElectronBinary({}, pkg), path.join(pkg, 'dist', 'electron'));
    assert.throws(
      () => findElectronBinary({ PIPEWRIGHT_ELECTRON_PATH: path.join(pkg, 'nope') }, pkg),
      /PIPEWRIGHT_ELECTRON_PATH points at .*nope, which does not exist/,
    );
    assert.equal(findElectronBinary({ PIPEWRIGHT_ELECTRON_PATH: path.join(pkg, 'path.txt') }, pkg), path.join(pkg, 'path.txt'));
  } finally {
    rmSync(pkg, { recursive: true, force: true });
  }
});

test('the desktop app is launched on the built main with the project, its own userData folder and the time zone asked for', () => {
  const options = electronLaunchOptions('/tmp/project', '/tmp/user-data', {
    timezoneId: 'Asia/Kolkata',
    env: { PATH: '/bin', ELECTRON_RUN_AS_NODE: '1', ELECTRON_RENDERER_URL: 'http://localhost:5173' },
  });
  assert.deepEqual(options.args, [ELECTRON_MAIN, '--project', '/tmp/project']);
  assert.deepEqual(options.env, { PATH: '/bin', PIPEWRIGHT_USER_DATA_DIR: '/tmp/user-data', TZ: 'Asia/Kolkata' });
});

test('PIPEWRIGHT_USER_DATA_DIR moves the app’s userData folder (and with it the single-instance lock); unset, Electron’s default stays', () => {
  const { app } = createFakeElectron();
  assert.equal(useUserDataDirFromEnv(app, {}, '/home/me'), null);
  assert.deepEqual(app.paths, {});
  assert.equal(useUserDataDirFromEnv(app, { PIPEWRIGHT_USER_DATA_DIR: 'profiles/second' }, '/home/me'), '/home/me/profiles/second');
  assert.deepEqual(app.paths, { userData: '/home/me/profiles/second' });
});
