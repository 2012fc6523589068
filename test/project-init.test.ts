import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../main/model/errors.ts';
import { initProject } from '../main/project/init-project.ts';
import { loadProject } from '../main/project/load-project.ts';
import { runCli } from './helpers/run-cli.ts';

const EXAMPLE_DIR = fileURLToPath(new URL('../examples/nyc-taxi', import.meta.url));

const roots: string[] = [];
after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

function tempRoot(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'pw-init-'));
  roots.push(root);
  return root;
}

function gitignoreLines(dir: string): string[] {
  return readFileSync(path.join(dir, '.gitignore'), 'utf8').split('\n');
}

test('init writes a minimal project that loads: settings, local connections as the defaults, folders, .gitignore', async () => {
  const dir = path.join(tempRoot(), 'my_project');
  await initProject(dir, {});
  assert.ok(statSync(path.join(dir, 'pipelines')).isDirectory());
  assert.ok(statSync(path.join(dir, 'blocks')).isDirectory());
  assert.ok(gitignoreLines(dir).includes('.pipewright/'));
  const project = await loadProject(dir);
  assert.equal(project.settings.name, 'my_project');
  assert.equal(project.settings.engine.concurrency, 4);
  // Exports work offline from the first minute: the embedded Postgres and the GCS/BigQuery emulators.
  assert.deepEqual(Object.fromEntries(Object.entries(project.connections).map(([name, c]) => [name, c.type])), {
    local_pg: 'local_postgres',
    local_gcs: 'local_gcs',
    local_bq: 'local_bigquery',
  });
  assert.deepEqual(project.settings.default_connections, { postgres: 'local_pg', gcs: 'local_gcs', bigquery: 'local_bq' });
  assert.deepEqual(project.pipelineIds, ['starter']);
  assert.equal(existsSync(path.join(dir, '.pipewright')), false, 'state is created when the project is opened, not by init');
});

test('pipewright init makes a starter pipeline that runs offline, and says which command runs it', async () => {
  const dir = path.join(tempRoot(), 'shop');
  const init = await runCli(['init', dir]);
  assert.equal(init.code, 0, init.stderr);
  assert.match(init.stdout, new RegExp(`next: pipewright run starter --project ${dir.replace(/[/\\.]/g, '\\$&')}`));
  assert.match(init.stdout, /pipewright start --project /);
  // The suggested command, as printed: no network is used (DuckDB makes the rows).
  const run = await runCli(['run', 'starter', '--project', dir]);
  assert.equal(run.code, 0, run.stderr);
  // The run's progress lines, on whichever stream the CLI prints them.
  assert.match(run.stdout + run.stderr, /orders_per_day succeeded in .*, 31 rows/);
  assert.match(run.stdout + run.stderr, /run succeeded/);
});

test('init refuses a folder that already holds files, and leaves them alone', async () => {
  const dir = tempRoot();
  writeFileSync(path.join(dir, 'notes.txt'), 'mine');
  await assert.rejects(
    initProject(dir, {}),
    (error: unknown) => error instanceof UserError && /is not empty \(notes\.txt\)/.test(error.message),
  );
  assert.deepEqual(readdirSync(dir), ['notes.txt']);
  assert.equal(readFileSync(path.join(dir, 'notes.txt'), 'utf8'), 'mine');
});

test('init refuses a path that is a file', async () => {
  const file = path.join(tempRoot(), 'taken');
  writeFileSync(file, 'x');
  await assert.rejects(initProject(file, {}), /is a file: give init a folder/);
});

test('init accepts a fresh git repository (a folder holding only .git)', async () => {
  const dir = tempRoot();
  mkdirSync(path.join(dir, '.git'));
  await initProject(dir, {});
  assert.ok(existsSync(path.join(dir, 'pipewright.yaml')));
  assert.ok(gitignoreLines(dir).includes('.pipewright/'));
});

test('init from the nyc-taxi example copies it and ignores local state', async (t) => {
  if (!existsSync(path.join(EXAMPLE_DIR, 'pipewright.yaml'))) {
    t.skip('examples/nyc-taxi/pipewright.yaml is not there yet');
    return;
  }
  const dir = path.join(tempRoot(), 'nyc');
  await initProject(dir, { example: 'nyc-taxi' });
  assert.equal(readFileSync(path.join(dir, 'pipewright.yaml'), 'utf8'), readFileSync(path.join(EXAMPLE_DIR, 'pipewright.yaml'), 'utf8'));
  const exampleIds = readdirSync(path.join(EXAMPLE_DIR, 'pipelines')).sort();
  const project = await loadProject(dir);
  assert.deepEqual(project.pipelineIds, exampleIds);
  assert.ok(gitignoreLines(dir).includes('.pipewright/'));
  assert.equal(existsSync(path.join(dir, '.pipewright')), false);
});
