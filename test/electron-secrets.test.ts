import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KeyFileCipher, SecretStore, setDefaultSecretCipher } from '../main/connections/secret-store.ts';
import { chooseSecretCipher } from '../main/electron/safe-storage-cipher.ts';
import { startShell } from '../main/electron/shell.ts';
import { createFakeElectron, createFakeSafeStorage } from './helpers/fake-electron.ts';

const temps: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-'));
  temps.push(dir);
  return dir;
}
afterEach(() => {
  setDefaultSecretCipher(undefined);
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const renderer = { indexHtml: path.join(os.tmpdir(), 'index.html') };

test('the desktop shell keeps connection secrets in the OS keychain: the store file holds only sealed bytes', async () => {
  const safeStorage = createFakeSafeStorage();
  const { electron } = createFakeElectron({ safeStorage });
  const shell = await startShell(electron, { preloadPath: 'preload.cjs', renderer });
  assert.equal(shell?.secrets.isOsKeychain, true);
  assert.equal(shell?.secrets.warning, undefined);
  assert.match(shell?.secrets.description ?? '', /OS keychain/);

  const store = SecretStore.forProject(tempDir());
  await store.set('pg_password', 's3cret-Pässword');
  assert.equal(safeStorage.calls.encrypt, 1);
  const onDisk = readFileSync(store.file, 'utf8');
  assert.doesNotMatch(onDisk, /s3cret/);
  assert.match(onDisk, /"pg_password": "keychain:/);
  assert.equal(await store.get('pg_password'), 's3cret-Pässword');
  assert.equal(safeStorage.calls.decrypt, 1);
});

test('warns and keeps the key file when safeStorage is unavailable or Linux offers only basic_text', () => {
  const fallback = new KeyFileCipher(path.join(tempDir(), 'secret.key'));
  const unavailable = chooseSecretCipher(createFakeSafeStorage({ isAvailable: false }), 'linux', fallback);
  assert.equal(unavailable.cipher, fallback);
  assert.match(unavailable.warning ?? '', /no secure store.*safeStorage is unavailable.*key file/);
  const basicText = chooseSecretCipher(createFakeSafeStorage({ backend: 'basic_text' }), 'linux', fallback);
  assert.equal(basicText.cipher, fallback);
  assert.match(basicText.warning ?? '', /no keyring was found.*basic_text/);
  const absent = chooseSecretCipher(undefined, 'linux', fallback);
  assert.equal(absent.cipher, fallback);
  const mac = chooseSecretCipher(createFakeSafeStorage({ backend: 'basic_text' }), 'darwin', fallback);
  assert.equal(mac.cipher.isOsKeychain, true, 'the backend question is Linux-only');
  assert.equal(mac.warning, undefined);
  const kwallet = chooseSecretCipher(createFakeSafeStorage({ backend: 'kwallet5' }), 'linux', fallback);
  assert.equal(kwallet.cipher.isOsKeychain, true);
  assert.match(kwallet.cipher.description, /kwallet5/);
});

test('a shell without a keyring reports the warning, and secrets still never reach the file in plain text', async () => {
  const { electron } = createFakeElectron({ safeStorage: createFakeSafeStorage({ backend: 'basic_text' }) });
  const previous = process.env.PIPEWRIGHT_CONFIG_DIR;
  process.env.PIPEWRIGHT_CONFIG_DIR = tempDir();
  try {
    const shell = await startShell(electron, { preloadPath: 'preload.cjs', renderer });
    assert.equal(shell?.secrets.isOsKeychain, false);
    assert.match(shell?.secrets.warning ?? '', /no keyring/);
    const store = SecretStore.forProject(tempDir());
    await store.set('token', 'plain-token-value');
    assert.doesNotMatch(readFileSync(store.file, 'utf8'), /plain-token-value|keychain:/);
    assert.equal(await store.get('token'), 'plain-token-value');
  } finally {
    if (previous === undefined) delete process.env.PIPEWRIGHT_CONFIG_DIR;
    else process.env.PIPEWRIGHT_CONFIG_DIR = previous;
  }
});

test("the desktop app reads secrets the CLI sealed with the key file, and the CLI explains it cannot open the keychain's", async () => {
  const stateDir = tempDir();
  const keyFile = new KeyFileCipher(path.join(tempDir(), 'secret.key'));
  const cli = SecretStore.forProject(stateDir, keyFile);
  await cli.set('from_cli', 'cli-value');

  const keychain = chooseSecretCipher(createFakeSafeStorage(), 'linux', keyFile).cipher;
  const desktop = new SecretStore(cli.file, keychain, keyFile);
  assert.equal(await desktop.get('from_cli'), 'cli-value');
  await desktop.set('from_app', 'app-value');
  assert.equal(await desktop.get('from_app'), 'app-value');

  await assert.rejects(
    cli.get('from_app'),
    /secret from_app is sealed by the desktop app's OS keychain.*pipewright connections secret set from_app/,
  );
  assert.equal(await cli.get('from_cli'), 'cli-value', 'the CLI still reads its own');
});
