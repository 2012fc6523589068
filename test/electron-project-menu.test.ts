import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MenuItemConstructorOptions } from 'electron';
import { startDesktopApp, type DesktopOptions } from '../main/electron/desktop-app.ts';
import { readRecentProjects, rememberProject } from '../main/electron/project-menu.ts';
import { createFakeElectron } from './helpers/fake-electron.ts';
import { createTempProject, type TempProject } from './helpers/temp-project.ts';
import { LOAD_API, writeMageProject } from './helpers/mage-fixture.ts';
import { waitUntil } from './helpers/wait-until.ts';

const repo = path.resolve(import.meta.dirname, '..');
const PREFIX = ['/app/out/main/index.js'];

/** A temp folder posing as the app: its examples/nyc-taxi is a small project, opened when nothing else is. */
function fakeAppRoot(): { root: string; example: string } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'pw-approot-'));
  const example = createTempProject();
  const target = path.join(root, 'examples', 'nyc-taxi');
  mkdirSync(path.dirname(target), { recursive: true });
  cpSync(example.dir, target, { recursive: true });
  example.cleanup();
  return { root, example: target };
}

function optionsFor(projectDir: string, appRoot: string, userDataDir: string): DesktopOptions {
  return {
    preloadPath: path.join(repo, 'out', 'preload', 'index.cjs'),
    renderer: { indexHtml: path.join(repo, 'out', 'renderer', 'index.html') },
    args: ['--project', projectDir],
    env: {},
    cwd: repo,
    appRoot,
    userDataDir,
    isPackaged: false,
    relaunchPrefix: PREFIX,
    log: () => undefined,
  };
}

type Item = MenuItemConstructorOptions;
const fileMenu = (menu: Item[] | null) => (menu?.find((m) => m.label === 'File')?.submenu ?? []) as Item[];
const item = (menu: Item[] | null, label: string) => {
  const found = fileMenu(menu).find((m) => m.label === label);
  assert.ok(found, `File › ${label}`);
  return found;
};
/** Clicks a menu item and waits for what it leads to (its handler runs its dialogs asynchronously). */
const click = async (entry: Item, until: () => boolean, what: string) => {
  (entry.click as () => void)();
  await waitUntil(until, { what });
};

async function withDesktop(
  pickedFolders: (string | null)[],
  body: (ctx: { fake: ReturnType<typeof createFakeElectron>; project: TempProject; userData: string; example: string }) => Promise<void>,
) {
  const project = createTempProject();
  const { root, example } = fakeAppRoot();
  const userData = mkdtempSync(path.join(os.tmpdir(), 'pw-userdata-'));
  const fake = createFakeElectron({ pickedFolders });
  const desktop = await startDesktopApp(fake.electron, optionsFor(project.dir, root, userData));
  try {
    assert.ok(desktop);
    await body({ fake, project, userData, example });
  } finally {
    await desktop?.close();
    project.cleanup();
    rmSync(root, { recursive: true, force: true });
    rmSync(userData, { recursive: true, force: true });
  }
}

test('the File menu offers Open Project…, New Project…, Open Recent and Quit, beside Edit, View and Window', async () => {
  await withDesktop([], async ({ fake, project, userData }) => {
    assert.deepEqual(
      fileMenu(fake.menu.applied).map((m) => m.label ?? m.role ?? m.type),
      ['Open Project…', 'New Project…', 'Import Mage Project…', 'Open Recent', 'separator', 'quit'],
    );
    assert.deepEqual(
      fake.menu.applied?.slice(1).map((m) => m.role),
      ['editMenu', 'viewMenu', 'windowMenu'],
    );
    assert.equal(item(fake.menu.applied, 'Open Recent').enabled, false, 'nothing recent but the open project');
    assert.deepEqual(readRecentProjects(userData), [project.dir], 'the open project is remembered');
  });
});

test('Open Project… reopens the app on the chosen project; a folder without pipewright.yaml is refused with a message', async () => {
  const other = createTempProject();
  const notProject = mkdtempSync(path.join(os.tmpdir(), 'pw-plain-'));
  try {
    await withDesktop([notProject, null, other.dir], async ({ fake, project, userData }) => {
      const open = item(fake.menu.applied, 'Open Project…');
      await click(open, () => fake.dialog.errorBoxes.length > 0, 'the refusal');
      assert.deepEqual(
        fake.dialog.errorBoxes.map((b) => b.title),
        ['Not a Pipewright project'],
      );
      assert.match(fake.dialog.errorBoxes[0]?.content ?? '', new RegExp(`${notProject}.*has no pipewright\\.yaml`));
      assert.deepEqual([fake.app.relaunches, fake.app.quitCount], [[], 0]);

      await click(open, () => fake.dialog.openDialogs.length === 2, 'the second folder dialog'); // cancelled
      assert.deepEqual([fake.app.relaunches, fake.app.quitCount], [[], 0]);

      await click(open, () => fake.app.quitCount > 0, 'the app to quit for the relaunch');
      assert.deepEqual(fake.app.relaunches, [{ args: [...PREFIX, '--project', other.dir] }]);
      assert.equal(fake.app.quitCount, 1, 'quitting closes this project before the new instance opens the other');
      assert.deepEqual(readRecentProjects(userData), [other.dir, project.dir]);
    });
  } finally {
    other.cleanup();
    rmSync(notProject, { recursive: true, force: true });
  }
});

test('New Project… writes a project into an empty folder and reopens on it; a folder with files is refused untouched', async () => {
  const parent = mkdtempSync(path.join(os.tmpdir(), 'pw-new-'));
  const busy = path.join(parent, 'busy');
  mkdirSync(busy);
  writeFileSync(path.join(busy, 'notes.txt'), 'mine\n');
  const fresh = path.join(parent, 'fresh');
  try {
    await withDesktop([busy, fresh], async ({ fake }) => {
      const create = item(fake.menu.applied, 'New Project…');
      await click(create, () => fake.dialog.errorBoxes.length > 0, 'the refusal');
      assert.equal(fake.dialog.errorBoxes[0]?.title, 'Cannot create the project');
      assert.match(fake.dialog.errorBoxes[0]?.content ?? '', /not empty \(notes\.txt\)/);
      assert.deepEqual(readdirSync(busy), ['notes.txt']);
      assert.deepEqual(fake.app.relaunches, []);

      await click(create, () => fake.app.relaunches.length > 0, 'the relaunch on the new project');
      assert.ok(existsSync(path.join(fresh, 'pipewright.yaml')));
      assert.deepEqual(fake.app.relaunches, [{ args: [...PREFIX, '--project', fresh] }]);
      assert.ok(fake.dialog.openDialogs[1]?.properties?.includes('createDirectory'));
    });
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
});

test('Import Mage Project… imports a Mage project into an empty folder and reopens on it; a non-Mage folder is refused', async () => {
  const parent = mkdtempSync(path.join(os.tmpdir(), 'pw-mage-menu-'));
  const mage = path.join(parent, 'mage');
  writeMageProject(mage, {
    'pipelines/etl/metadata.yaml':
      'blocks:\n- uuid: load\n  type: data_loader\n  language: python\n  upstream_blocks: []\nname: etl\ntype: python\n',
    'data_loaders/load.py': LOAD_API,
  });
  const into = path.join(parent, 'imported');
  try {
    await withDesktop([parent, into, mage, into], async ({ fake }) => {
      const importItem = item(fake.menu.applied, 'Import Mage Project…');
      await click(importItem, () => fake.dialog.errorBoxes.length > 0, 'the refusal');
      assert.equal(fake.dialog.errorBoxes[0]?.title, 'Cannot import the Mage project');
      assert.match(fake.dialog.errorBoxes[0]?.content ?? '', /is not a Mage project: it has no pipelines\/ folder/);
      assert.equal(existsSync(into), false);

      await click(importItem, () => fake.app.relaunches.length > 0, 'the relaunch on the imported project');
      assert.deepEqual(fake.app.relaunches, [{ args: [...PREFIX, '--project', into] }]);
      assert.ok(existsSync(path.join(into, 'pipelines', 'etl', 'pipeline.yaml')));
      assert.ok(existsSync(path.join(into, 'IMPORT_REPORT.md')));
    });
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
});

test('Open Recent lists other recent projects that still exist and reopens one', async () => {
  const older = createTempProject();
  const gone = path.join(os.tmpdir(), 'pw-gone-project');
  const project = createTempProject();
  const { root } = fakeAppRoot();
  const userData = mkdtempSync(path.join(os.tmpdir(), 'pw-userdata-'));
  rememberProject(userData, gone);
  rememberProject(userData, older.dir);
  const fake = createFakeElectron();
  const desktop = await startDesktopApp(fake.electron, optionsFor(project.dir, root, userData));
  try {
    const recent = item(fake.menu.applied, 'Open Recent');
    assert.equal(recent.enabled, true);
    const entries = recent.submenu as Item[];
    assert.deepEqual(
      entries.map((e) => e.label),
      [older.dir],
      'the open project and a vanished folder are not offered',
    );
    await click(entries[0]!, () => fake.app.relaunches.length > 0, 'the relaunch on the recent project');
    assert.deepEqual(fake.app.relaunches, [{ args: [...PREFIX, '--project', older.dir] }]);
  } finally {
    await desktop?.close();
    for (const dir of [root, userData]) rmSync(dir, { recursive: true, force: true });
    older.cleanup();
    project.cleanup();
  }
});

test('a project that cannot be opened is explained in an error box and the example opens instead', async () => {
  const broken = createTempProject();
  broken.writeFile('pipewright.yaml', 'name: broken\nengine: [not, a, map]\n');
  const { root, example } = fakeAppRoot();
  const userData = mkdtempSync(path.join(os.tmpdir(), 'pw-userdata-'));
  const fake = createFakeElectron();
  const desktop = await startDesktopApp(fake.electron, optionsFor(broken.dir, root, userData));
  try {
    assert.ok(desktop, 'the app still opens');
    assert.equal(desktop.open.project.dir, example);
    assert.equal(fake.dialog.errorBoxes[0]?.title, 'Cannot open the project');
    assert.match(fake.dialog.errorBoxes[0]?.content ?? '', /pipewright\.yaml.*engine/s);
    assert.deepEqual(readRecentProjects(userData), [example], 'the broken project is not remembered');
  } finally {
    await desktop?.close();
    for (const dir of [root, userData]) rmSync(dir, { recursive: true, force: true });
    broken.cleanup();
  }
});
