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
export function createMainWindow(electron: Pick<ElectronLike, 'BrowserWindow' | 'shell'>, preloadPath: string, renderer: RendererLocation): BrowserWindowLike {
  const window = new electron.BrowserWindow(mainWindowOptions(preloadPath));
  lockDownWebContents(window.webContents, electron.shell, (url) => isAppUrl(url, renderer));
  window.once('ready-to-show', () => window.show());
  const loading = window.loadURL(renderer.devServerUrl ?? APP_INDEX_URL);
  loading.catch((error: unknown) => {
    console.error(`pipewright: the window could not load its page: ${error instanceof Error ? error.message : String(error)}`);
  });
  return window;
}
