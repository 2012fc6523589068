import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { createTempProject, type TempProject } from './helpers/temp-project.ts';
import { openApp, type AppUnderTest } from './helpers/app.ts';
import { startTestPostgres, type TestPostgres } from './helpers/postgres.ts';
import { SecretStore } from '../main/connections/secret-store.ts';

const SCREENSHOTS = path.resolve('test-results');
const WRONG_PASSWORD = 'definitely-Wrong-pw-123';
// Shaped like a downloaded key; the private key is a marker, never used to sign (the test stays offline).
const PASTED_KEY = JSON.stringify({
  type: 'service_account',
  project_id: 'acme-analytics',
  private_key_id: 'k1',
  private_key: '-----BEGIN PRIVATE KEY-----\nPRIVATE-MARKER-93f1\n-----END PRIVATE KEY-----\n',
  client_email: 'loader@acme-analytics.iam.gserviceaccount.com',
});

let temp: TempProject;
let configDir: string;
let pgServer: TestPostgres;
let app: AppUnderTest;
let page: Page;

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  // The serve process keeps its secret key here, not in the user's real config folder.
  configDir = mkdtempSync(path.join(os.tmpdir(), 'pw-config-'));
  process.env.PIPEWRIGHT_CONFIG_DIR = configDir;
  pgServer = await startTestPostgres();
  temp = createTempProject();
  temp.writeFile('connections.yaml', '# Team connections: keep this comment.\n{}\n');
  app = await openApp(temp.dir, { viewport: { width: 1400, height: 900 } });
  page = app.page;
});

after(async () => {
  const code = await app?.close();
  await pgServer?.stop();
  temp?.cleanup();
  rmSync(configDir, { recursive: true, force: true });
  assert.equal(code, 0, `the app should stop cleanly:\n${app?.output()}`);
});

async function newConnection(fields: Record<string, string>, type: string): Promise<void> {
  await page.getByRole('button', { name: 'New connection' }).click();
  const form = page.getByRole('form', { name: 'New connection' });
  await form.getByLabel('Type').selectOption(type);
  for (const [label, value] of Object.entries(fields)) await form.getByLabel(label, { exact: true }).fill(value);
  await form.getByRole('button', { name: 'Save connection' }).click();
}

test('creates a local_postgres connection from the Connections screen and its test succeeds', async () => {
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: 'Connections' }).click();
  assert.equal(new URL(page.url()).hash, '#/connections');
  await page.getByText('No connections yet').waitFor();
  await newConnection({ Name: 'local_db', Database: 'ui_test' }, 'local_postgres');
  const form = page.getByRole('form', { name: 'Connection local_db' });
  await form.waitFor();
  await form.getByRole('button', { name: 'Test connection' }).click();
  const result = form.getByRole('status', { name: 'Connection test result' });
  await result.getByText('Connected', { exact: true }).waitFor({ timeout: 120_000 });
  assert.match(await result.innerText(), /reachable: yes[\s\S]*auth: ok[\s\S]*server: PostgreSQL/);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'ui-connections-1-local-ok.png') });
});

test('a postgres connection with a wrong password shows the authentication error, and the password never reaches the file or the screen', async () => {
  const { host, port, user } = pgServer.conn;
  await newConnection(
    { Name: 'remote_pg', Host: host, Port: String(port), Database: 'test', User: user, Password: WRONG_PASSWORD },
    'postgres',
  );
  const form = page.getByRole('form', { name: 'Connection remote_pg' });
  await form.waitFor();
  assert.equal(await form.getByLabel('Password', { exact: true }).inputValue(), '', 'the stored password is not shown back');
  await form.getByText('A password is stored in the secret store').waitFor();
  await form.getByRole('button', { name: 'Test connection' }).click();
  const result = form.getByRole('status', { name: 'Connection test result' });
  await result.getByText('Failed', { exact: true }).waitFor({ timeout: 60_000 });
  assert.match(await result.innerText(), /auth: failed[\s\S]*authentication failed on remote_pg/);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'ui-connections-2-auth-error.png') });

  const file = readFileSync(path.join(temp.dir, 'connections.yaml'), 'utf8');
  assert.doesNotMatch(file, new RegExp(WRONG_PASSWORD));
  assert.match(file, /^# Team connections: keep this comment\./);
  assert.match(file, /remote_pg:\n(?:\s+.*\n)*\s+password: \{ secret: remote_pg_password \}/);
  assert.doesNotMatch(readFileSync(path.join(temp.dir, '.pipewright', 'secrets.json'), 'utf8'), new RegExp(WRONG_PASSWORD));
  assert.match(await page.getByRole('list', { name: 'Connection profiles' }).innerText(), /password: set \(secret store\)/);
});

test('creates a local_gcs connection with no fields, and its test starts the emulator and succeeds', async () => {
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: 'Connections' }).click();
  await newConnection({ Name: 'local_bucket' }, 'local_gcs');
  const form = page.getByRole('form', { name: 'Connection local_bucket' });
  await form.waitFor();
  await form.getByRole('button', { name: 'Test connection' }).click();
  const result = form.getByRole('status', { name: 'Connection test result' });
  await result.getByText('Connected', { exact: true }).waitFor({ timeout: 60_000 });
  assert.match(await result.innerText(), /reachable: yes/);
  assert.match(readFileSync(path.join(temp.dir, 'connections.yaml'), 'utf8'), /local_bucket:\n\s+type: local_gcs\n/);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'ui-connections-3-local-gcs-ok.png') });
});

test('a gcs connection refuses a pasted key that is not a service-account key, at the credentials field', async () => {
  await page.getByRole('button', { name: 'New connection' }).click();
  const form = page.getByRole('form', { name: 'New connection' });
  await form.getByLabel('Type').selectOption('gcs');
  await form.getByLabel('Name', { exact: true }).fill('gcs_bad');
  await form.getByLabel('Credentials', { exact: true }).selectOption('key');
  await form.getByLabel('Service-account key JSON').fill('{"type": "service_account"}');
  await form.getByRole('button', { name: 'Save connection' }).click();
  await form.getByRole('alert').filter({ hasText: 'lacks client_email, private_key' }).waitFor();
  assert.equal(await form.getByLabel('Service-account key JSON').getAttribute('aria-invalid'), 'true');
  assert.doesNotMatch(readFileSync(path.join(temp.dir, 'connections.yaml'), 'utf8'), /gcs_bad/, 'nothing is written');
  await page.screenshot({ path: path.join(SCREENSHOTS, 'ui-connections-4-bad-key.png') });
});

test('a gcs connection with a pasted key: connections.yaml holds only the secret reference, the secret store the key, the screen neither', async () => {
  const form = page.getByRole('form', { name: 'New connection' });
  await form.getByLabel('Name', { exact: true }).fill('gcs_prod');
  await form.getByLabel('Project ID').fill('acme-analytics');
  await form.getByLabel('Service-account key JSON').fill(PASTED_KEY);
  await form.getByRole('button', { name: 'Save connection' }).click();
  const saved = page.getByRole('form', { name: 'Connection gcs_prod' });
  await saved.waitFor();
  assert.equal(await saved.getByLabel('Credentials', { exact: true }).inputValue(), 'key');
  assert.equal(await saved.getByLabel('Service-account key JSON').inputValue(), '', 'the stored key is not shown back');
  await saved.getByText('A key is stored in the secret store (gcs_prod_key)').waitFor();

  const file = readFileSync(path.join(temp.dir, 'connections.yaml'), 'utf8');
  assert.match(file, /gcs_prod:\n\s+type: gcs\n\s+project_id: acme-analytics\n\s+credentials: \{ key: \{ secret: gcs_prod_key \} \}/);
  assert.doesNotMatch(file, /PRIVATE-MARKER|loader@/);
  assert.doesNotMatch(readFileSync(path.join(temp.dir, '.pipewright', 'secrets.json'), 'utf8'), /PRIVATE-MARKER/, 'the store is encrypted');
  assert.equal(await SecretStore.forProject(path.join(temp.dir, '.pipewright')).get('gcs_prod_key'), PASTED_KEY);
  assert.doesNotMatch(await page.locator('body').innerText(), /PRIVATE-MARKER/);
  assert.match(await page.getByRole('list', { name: 'Connection profiles' }).innerText(), /credentials: key set \(secret store\)/);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'ui-connections-5-gcs-key.png') });

  await saved.getByLabel('Location').fill('EU');
  await saved.getByRole('button', { name: 'Save connection' }).click();
  await saved.getByText('Saved gcs_prod.').waitFor();
  const edited = readFileSync(path.join(temp.dir, 'connections.yaml'), 'utf8');
  assert.match(edited, /gcs_prod:\n(?:\s+.*\n)*\s+location: EU\n/);
  assert.match(
    edited,
    /gcs_prod:\n(?:\s+.*\n)*\s+credentials: \{ key: \{ secret: gcs_prod_key \} \}/,
    'an edit without a new paste keeps the key',
  );
});

test('a bigquery connection with a key file: an empty path is refused at the field, a given one is written with the location', async () => {
  await page.getByRole('button', { name: 'New connection' }).click();
  const form = page.getByRole('form', { name: 'New connection' });
  await form.getByLabel('Type').selectOption('bigquery');
  await form.getByLabel('Name', { exact: true }).fill('warehouse');
  await form.getByLabel('Location').fill('EU');
  await form.getByLabel('Credentials', { exact: true }).selectOption('key_file');
  await form.getByRole('button', { name: 'Save connection' }).click();
  await form.getByRole('alert').filter({ hasText: 'give the path of the service-account key file' }).waitFor();
  assert.equal(await form.getByLabel('Key file path').getAttribute('aria-invalid'), 'true');
  await form.getByLabel('Key file path').fill('keys/loader.json');
  await form.getByRole('button', { name: 'Save connection' }).click();
  await page.getByRole('form', { name: 'Connection warehouse' }).waitFor();
  const file = readFileSync(path.join(temp.dir, 'connections.yaml'), 'utf8');
  assert.match(file, /warehouse:\n\s+type: bigquery\n\s+location: EU\n\s+credentials: \{ key_file: keys\/loader.json \}/);
  assert.match(await page.getByRole('list', { name: 'Connection profiles' }).innerText(), /credentials: key file keys\/loader.json/);
});

test('the settings screen shows a server validation error at its field and saves valid settings to pipewright.yaml', async () => {
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('button', { name: 'Settings' }).click();
  const threads = page.getByLabel('DuckDB threads');
  await threads.fill('0');
  await page.getByLabel('DuckDB memory limit').fill('lots');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.getByRole('alert').first().waitFor();
  assert.equal(await threads.getAttribute('aria-invalid'), 'true');
  assert.match(
    await page.locator(`#${(await threads.getAttribute('aria-describedby'))?.split(' ')[1]?.replaceAll(':', '\\:')}`).innerText(),
    /threads must be at least 1/,
  );
  await page.screenshot({ path: path.join(SCREENSHOTS, 'ui-settings-1-error.png') });

  await threads.fill('3');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.waitForFunction(() => document.querySelector('[aria-invalid="true"]')?.getAttribute('name') === 'memory_limit');
  await page.getByLabel('DuckDB memory limit').fill('1GB');
  await page.getByLabel('Default retries').fill('2');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.getByText('Saved to pipewright.yaml').waitFor();
  const yaml = readFileSync(path.join(temp.dir, 'pipewright.yaml'), 'utf8');
  assert.match(yaml, /threads: 3/);
  assert.match(yaml, /memory_limit: 1GB/);
  assert.match(yaml, /retries: 2/);
  await page.screenshot({ path: path.join(SCREENSHOTS, 'ui-settings-2-saved.png') });
});
