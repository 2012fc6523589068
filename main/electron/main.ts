import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, ipcMain, session, shell } from 'electron';
import { startShell } from './shell.ts';

// Built as out/main/index.js: the preload and renderer builds sit beside it in out/.
const outDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// electron-vite sets ELECTRON_RENDERER_URL under `electron-vite dev`. A packaged app ignores it, so no
// environment variable can point the trusted window at another page.
const devServerUrl = !app.isPackaged ? process.env['ELECTRON_RENDERER_URL'] : undefined;

startShell(
  { app, BrowserWindow, ipcMain, session, shell },
  {
    preloadPath: path.join(outDir, 'preload', 'index.cjs'),
    renderer: { indexHtml: path.join(outDir, 'renderer', 'index.html'), ...(devServerUrl ? { devServerUrl } : {}) },
  },
).catch((error: unknown) => {
  console.error('pipewright: the desktop app failed to start', error);
  app.exit(1);
});
