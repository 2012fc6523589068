import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { formatError, toErrorShape } from '../model/errors.ts';
import { formatActivity } from '../orchestration/scheduler-activity.ts';
import { findProjectRoot } from '../project/load-project.ts';
import { initProject } from '../project/init-project.ts';
import { openProject, type OpenProject } from '../runtime/open-project.ts';
import { startProjectBackend, type ProjectBackend } from '../api/project-backend.ts';
import { EventHub } from '../api/event-hub.ts';
import { startServeServer, type ServeServer } from '../serve/serve-server.ts';
import type { ElectronLike } from './electron-types.ts';
import { appMenuTemplate, readRecentProjects, rememberProject, switchProject } from './project-menu.ts';
import type { ProjectSwitcher } from '../api/projects-handlers.ts';
import { startShell, useOsKeychainForSecrets, type Shell, type ShellOptions } from './shell.ts';

export interface DesktopOptions extends Omit<ShellOptions, 'api'> {
  /** The app's own arguments (after Electron's and the entry script). */
  args: readonly string[];
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** The Pipewright checkout or app folder holding examples/. */
  appRoot: string;
  /** Where a packaged app keeps its copy of the example project (Electron's userData). */
  userDataDir: string;
  isPackaged: boolean;
  /** Electron's argv before the app's own arguments, minus the binary (the entry script from a checkout), to relaunch. */
  relaunchPrefix?: readonly string[];
  log?: (line: string) => void;
}

export interface DesktopApp {
  shell: Shell;
  open: OpenProject;
  /** Stops the scheduler and watcher, cancels runs, closes the workspace and run store. */
  close(): Promise<void>;
}

/**
 * The desktop app: opens the project (from --project, PIPEWRIGHT_PROJECT, the folder it was started in, or the example),
 * runs the API, the file watcher and the scheduler beside it, and starts the window with the contract's methods on IPC.
 * Resolves null when another instance already runs (that one comes to the front).
 */
export async function startDesktopApp(electron: ElectronLike, options: DesktopOptions): Promise<DesktopApp | null> {
  const log = options.log ?? ((line: string) => console.log(line));
  // A second launch must not open the project (its DuckDB file is the first one's): the shell brings that one forward.
  if (!electron.app.requestSingleInstanceLock()) {
    electron.app.quit();
    return null;
  }
  await electron.app.whenReady();
  // Before the project opens, so every secret it reads or writes goes through the OS keychain.
  const secrets = useOsKeychainForSecrets(electron.safeStorage);
  const { dir, open } = await openChosenProject(electron, options);
  let shell: Shell | null = null;
  let backend: ProjectBackend;
  const hub = new EventHub();
  hub.listen((event, payload) => shell?.emit(event, payload));
  try {
    backend = await startProjectBackend(open, hub.emit, {
      scheduler: { onActivity: (activity) => log(formatActivity(activity)) },
      projects: desktopSwitcher(electron, options, dir),
    });
  } catch (error) {
    await open.close();
    throw error;
  }
  const localApi = await startLocalApi(open, backend, hub, options, log);
  const close = async () => {
    await localApi?.close();
    await backend.close();
    await open.close();
  };
  shell = await startShell(electron, { preloadPath: options.preloadPath, renderer: options.renderer, api: backend.api, secrets });
  if (!shell) {
    await close();
    return null;
  }
  rememberProject(options.userDataDir, dir);
  if (electron.Menu) {
    const template = appMenuTemplate(electron, {
      relaunchPrefix: options.relaunchPrefix ?? [],
      current: dir,
      userDataDir: options.userDataDir,
    });
    electron.Menu.setApplicationMenu(electron.Menu.buildFromTemplate(template) as never);
  }
  log(`pipewright: project ${open.project.settings.name} (${dir})`);
  return { shell, open, close };
}

/** The page's project picker in the desktop app: what File › Open Recent lists, and a switch relaunches as the menu does. */
function desktopSwitcher(electron: ElectronLike, options: DesktopOptions, current: string): ProjectSwitcher {
  const project = { relaunchPrefix: options.relaunchPrefix ?? [], current, userDataDir: options.userDataDir };
  return {
    recent: () => readRecentProjects(options.userDataDir),
    create: (dir) => initProject(dir, {}),
    lastError: () => null, // a failed relaunch opens the example with an error box (openChosenProject)
    switchTo: (dir) => void switchProject(electron, project, dir),
  };
}

/**
 * The same API on a loopback port with a random token, found through `.pipewright/server.json`: `pipewright run` in a
 * terminal hands its runs to the app (the workspace has one writer), and API triggers work while the app is open.
 * Optional: without it (PIPEWRIGHT_LOCAL_API=off, or no port) the app works the same and the CLI says the project is in use.
 */
async function startLocalApi(
  open: OpenProject,
  backend: ProjectBackend,
  hub: EventHub,
  options: DesktopOptions,
  log: (line: string) => void,
): Promise<ServeServer | null> {
  if (options.env['PIPEWRIGHT_LOCAL_API'] === 'off') return null;
  try {
    const rendererDir = path.dirname(options.renderer.indexHtml);
    return await startServeServer({ open, rendererDir, host: '127.0.0.1', port: 0, shared: { backend, hub }, linksAlerts: false });
  } catch (error) {
    log(
      `pipewright: no local API for the CLI (${error instanceof Error ? error.message : String(error)}); runs from a terminal will find the project in use`,
    );
    return null;
  }
}

/**
 * Opens the chosen project. One that cannot be opened (a broken pipewright.yaml, a folder that is not a project) is
 * explained in an error box and the example opens instead, so the app never just vanishes.
 */
async function openChosenProject(electron: ElectronLike, options: DesktopOptions): Promise<{ dir: string; open: OpenProject }> {
  const dir = await chooseProjectDir(options);
  try {
    return { dir, open: await openProject(dir, { preflight: 'first' }) };
  } catch (error) {
    const fallback = await chooseProjectDir({ ...options, args: [], env: {}, cwd: options.userDataDir });
    if (!electron.dialog || path.resolve(fallback) === path.resolve(dir)) throw error;
    electron.dialog.showErrorBox(
      'Cannot open the project',
      `${dir}\n\n${formatError(toErrorShape(error))}\n\nThe example project opens instead; use File › Open Project… once it is fixed.`,
    );
    return { dir: fallback, open: await openProject(fallback, { preflight: 'first' }) };
  }
}

/**
 * Which project the window opens: `--project <dir>`, else PIPEWRIGHT_PROJECT, else the project the app was started in,
 * else the nyc-taxi example (in place from a checkout; a packaged app copies it to its data folder once).
 */
export async function chooseProjectDir(
  options: Pick<DesktopOptions, 'args' | 'env' | 'cwd' | 'appRoot' | 'userDataDir' | 'isPackaged'>,
): Promise<string> {
  const { values } = parseArgs({
    args: [...options.args],
    options: { project: { type: 'string' } },
    strict: false,
    allowPositionals: true,
  });
  if (typeof values.project === 'string') return path.resolve(options.cwd, values.project);
  const fromEnv = options.env['PIPEWRIGHT_PROJECT'];
  if (fromEnv) return path.resolve(options.cwd, fromEnv);
  const around = await findProjectRoot(options.cwd);
  if (around) return around;
  const example = path.join(options.appRoot, 'examples', 'nyc-taxi');
  if (!options.isPackaged && existsSync(example)) return example;
  const copy = path.join(options.userDataDir, 'projects', 'nyc-taxi');
  if (!existsSync(path.join(copy, 'pipewright.yaml'))) await initProject(copy, { example: 'nyc-taxi' });
  return copy;
}

/**
 * Points Electron's userData folder (settings, the single-instance lock, a packaged app's example copy) at
 * PIPEWRIGHT_USER_DATA_DIR when it is set, so a second, separate app can run beside the first (tests do). Must run
 * before the app is ready. Returns the folder chosen, or null for Electron's default.
 */
export function useUserDataDirFromEnv(app: Pick<ElectronLike['app'], 'setPath'>, env: NodeJS.ProcessEnv, cwd: string): string | null {
  const dir = env['PIPEWRIGHT_USER_DATA_DIR'];
  if (!dir) return null;
  const resolved = path.resolve(cwd, dir);
  app.setPath('userData', resolved);
  return resolved;
}
