import { existsSync } from 'node:fs';
import path from 'node:path';
import type { MenuItemConstructorOptions } from 'electron';
import { UserError } from '../model/errors.ts';
import { initProject } from '../project/init-project.ts';
import { readRecentProjects, rememberProject } from '../runtime/recent-projects.ts';
import type { DialogLike, ElectronLike } from './electron-types.ts';

// The recent list is shared with `pipewright serve`'s project picker; kept importable from here for the menu's callers.
export { readRecentProjects, rememberProject };

export interface ProjectSwitch {
  /** The app's argv before its own arguments, for a relaunch (the entry script from a checkout; nothing when packaged). */
  relaunchPrefix: readonly string[];
  /** The open project, which the menu does not offer to reopen. */
  current: string;
  userDataDir: string;
}

/**
 * The application menu: File with Open Project…, New Project…, Import Mage Project…, Open Recent and Quit, and the standard Edit, View and
 * Window menus (Edit is what makes copy and paste work in text fields on macOS).
 */
export function appMenuTemplate(
  electron: Pick<ElectronLike, 'app' | 'dialog'>,
  project: ProjectSwitch,
  platform = process.platform,
): MenuItemConstructorOptions[] {
  const recent = readRecentProjects(project.userDataDir).filter((dir) => dir !== project.current);
  const file: MenuItemConstructorOptions = {
    label: 'File',
    submenu: [
      { label: 'Open Project…', accelerator: 'CmdOrCtrl+O', click: () => void openProjectFromDialog(electron, project) },
      { label: 'New Project…', accelerator: 'CmdOrCtrl+Shift+N', click: () => void newProjectFromDialog(electron, project) },
      { label: 'Import Mage Project…', click: () => void importMageFromDialog(electron, project) },
      {
        label: 'Open Recent',
        enabled: recent.length > 0,
        submenu: recent.map((dir) => ({ label: dir, click: () => void switchProject(electron, project, dir) })),
      },
      { type: 'separator' },
      platform === 'darwin' ? { role: 'close' } : { role: 'quit' },
    ],
  };
  return [
    ...(platform === 'darwin' ? [{ role: 'appMenu' } as const] : []),
    file,
    { role: 'editMenu' },
    { role: 'viewMenu' },
    { role: 'windowMenu' },
  ];
}

/** Asks for a project folder and reopens the app on it; a folder without pipewright.yaml is refused with a message. */
export async function openProjectFromDialog(electron: Pick<ElectronLike, 'app' | 'dialog'>, project: ProjectSwitch): Promise<boolean> {
  const dialog = requireDialog(electron);
  const picked = await dialog.showOpenDialog({ title: 'Open a Pipewright project', properties: ['openDirectory'] });
  const dir = picked.canceled ? undefined : picked.filePaths[0];
  if (!dir) return false;
  return switchProject(electron, project, dir);
}

/**
 * Asks for an empty (or new) folder, writes a new project there (pipewright.yaml, pipelines/, blocks/) and reopens
 * the app on it. A folder with files in it (other than .git) is refused: nothing is written there.
 */
export async function newProjectFromDialog(electron: Pick<ElectronLike, 'app' | 'dialog'>, project: ProjectSwitch): Promise<boolean> {
  const dialog = requireDialog(electron);
  const picked = await dialog.showOpenDialog({
    title: 'Choose an empty folder for the new project',
    properties: ['openDirectory', 'createDirectory'],
  });
  const dir = picked.canceled ? undefined : picked.filePaths[0];
  if (!dir) return false;
  try {
    await initProject(dir, {});
  } catch (error) {
    // A folder with files in it is refused by initProject before anything is written.
    if (!(error instanceof UserError)) throw error;
    dialog.showErrorBox(
      'Cannot create the project',
      `${error.message}. Choose an empty folder, or use Open Project… for an existing project.`,
    );
    return false;
  }
  return switchProject(electron, project, dir);
}

/**
 * Asks for a Mage project folder, then an empty folder, imports the one into the other (IMPORT_REPORT.md says what
 * needs attention) and reopens the app on the result. A folder that is not a Mage project, or a target with files in
 * it, is refused with a message and nothing written.
 */
export async function importMageFromDialog(electron: Pick<ElectronLike, 'app' | 'dialog'>, project: ProjectSwitch): Promise<boolean> {
  const dialog = requireDialog(electron);
  const from = await dialog.showOpenDialog({
    title: 'Choose the Mage project folder (the one holding pipelines/)',
    properties: ['openDirectory'],
  });
  const mage = from.canceled ? undefined : from.filePaths[0];
  if (!mage) return false;
  const to = await dialog.showOpenDialog({
    title: 'Choose an empty folder for the imported project',
    properties: ['openDirectory', 'createDirectory'],
  });
  const dir = to.canceled ? undefined : to.filePaths[0];
  if (!dir) return false;
  try {
    const { importMage } = await import('../mage/import-mage.ts');
    await importMage(mage, { into: dir });
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    dialog.showErrorBox('Cannot import the Mage project', error.message);
    return false;
  }
  return switchProject(electron, project, dir);
}

/**
 * Reopens the app on `dir`: quitting closes the open project cleanly (runs cancelled and recorded, workspace closed),
 * then the app starts again with `--project dir`. Refuses a folder that is not a project, with a message.
 */
export async function switchProject(electron: Pick<ElectronLike, 'app' | 'dialog'>, project: ProjectSwitch, dir: string): Promise<boolean> {
  if (!existsSync(path.join(dir, 'pipewright.yaml'))) {
    requireDialog(electron).showErrorBox(
      'Not a Pipewright project',
      `${dir} has no pipewright.yaml. Choose a project folder, or use New Project… to make one.`,
    );
    return false;
  }
  if (path.resolve(dir) === path.resolve(project.current)) return false;
  rememberProject(project.userDataDir, path.resolve(dir));
  electron.app.relaunch({ args: [...project.relaunchPrefix, '--project', path.resolve(dir)] });
  electron.app.quit();
  return true;
}

function requireDialog(electron: Pick<ElectronLike, 'dialog'>): DialogLike {
  if (!electron.dialog) throw new Error('the desktop shell was started without Electron’s dialog module');
  return electron.dialog;
}
