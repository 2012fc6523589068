import type { BrowserWindowConstructorOptions } from 'electron';
import type { BrowserWindowLike, ElectronLike } from './electron-types.ts';
import { APP_INDEX_URL } from './app-protocol.ts';
import { lockDownWebContents } from './security.ts';
import { isAppUrl, type RendererLocation } from './trusted-sender.ts';

/** The one window's options: isolated, sandboxed, no Node, web security on, no webviews; `preload` is the bridge script. */
export function mainWindowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1280,
    height: 820,
    minWidth: 720,
    minHeight: 480,
    title: 'Pipewright',
    // Shown on ready-to-show, with the page's own background, so the window never flashes white.
    show: false,
    backgroundColor: '#f6f5f1',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInSubFrames: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      // A file dropped on the window must not replace the app with that file.
      navigateOnDragDrop: false,
      spellcheck: false,
    },
  };
}

/** Opens the main window on the renderer (dev server, or the built files on app://), locked to the app, shown once painted. */
export function createMainWindow(
  electron: Pick<ElectronLike, 'BrowserWindow' | 'shell'>,
  preloadPath: string,
  renderer: RendererLocation,
): BrowserWindowLike {
  const window = new electron.BrowserWindow(mainWindowOptions(preloadPath));
  lockDownWebContents(window.webContents, electron.shell, (url) => isAppUrl(url, renderer));
  window.once('ready-to-show', () => window.show());
  reloadAfterRendererCrash(window);
  const loading = window.loadURL(renderer.devServerUrl ?? APP_INDEX_URL);
  loading.catch((error: unknown) => {
    console.error(`pipewright: the window could not load its page: ${error instanceof Error ? error.message : String(error)}`);
  });
  return window;
}

/** Reloads allowed per minute after a renderer crash; past them the page is left down rather than crash-looping. */
const RELOADS_PER_MINUTE = 3;

/** A crashed or killed page leaves a blank window: log it and load the page again (main and its runs carry on). */
function reloadAfterRendererCrash(window: BrowserWindowLike, now: () => number = Date.now): void {
  const reloads: number[] = [];
  window.webContents.on('render-process-gone', (_event, details) => {
    if (details.reason === 'clean-exit') return;
    const at = now();
    while (reloads.length > 0 && (reloads[0] ?? at) <= at - 60_000) reloads.shift();
    if (reloads.length >= RELOADS_PER_MINUTE) {
      console.error(
        `pipewright: the window's page stopped again (${details.reason}); not reloading it (${RELOADS_PER_MINUTE} times within a minute)`,
      );
      return;
    }
    reloads.push(at);
    console.error(`pipewright: the window's page stopped (${details.reason}, exit code ${details.exitCode}); reloading it`);
    window.webContents.reload();
  });
}
