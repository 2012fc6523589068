import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, dialog, ipcMain, Menu, Notification, protocol, safeStorage, session, shell } from 'electron';
import { APP_SCHEME_PRIVILEGES } from './app-protocol.ts';
import { startDesktopApp, useUserDataDirFromEnv, type DesktopApp } from './desktop-app.ts';
import { installDesktopFaultPolicy } from './fault-policy.ts';

// First: a fault anywhere in main (a run, the local API, the scheduler) must not take the window down with it.
installDesktopFaultPolicy({ app, dialog });
// The renderer's scheme must be privileged before the app is ready (app-protocol.ts).
protocol.registerSchemesAsPrivileged([APP_SCHEME_PRIVILEGES]);

// Built as out/main/index.js: the preload and renderer builds sit beside it in out/, examples/ beside out/.
const outDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// electron-vite sets ELECTRON_RENDERER_URL under `electron-vite dev`. A packaged app ignores it, so no
// environment variable can point the trusted window at another page.
const devServerUrl = !app.isPackaged ? process.env['ELECTRON_RENDERER_URL'] : undefined;

// Electron's argv: [binary, entry, ...ours] from a checkout; [binary, ...ours] when packaged.
const args = process.argv.slice(app.isPackaged ? 1 : 2);
useUserDataDirFromEnv(app, process.env, process.cwd());
let desktop: DesktopApp | null = null;
let isClosing = false;

startDesktopApp(
  { app, BrowserWindow, dialog, ipcMain, Menu, Notification, protocol, safeStorage, session, shell },
  {
    preloadPath: path.join(outDir, 'preload', 'index.cjs'),
    renderer: { indexHtml: path.join(outDir, 'renderer', 'index.html'), ...(devServerUrl ? { devServerUrl } : {}) },
    args,
    env: process.env,
    cwd: process.cwd(),
    appRoot: path.resolve(outDir, '..'),
    userDataDir: app.getPath('userData'),
    isPackaged: app.isPackaged,
    relaunchPrefix: process.argv.slice(1, app.isPackaged ? 1 : 2),
  },
)
  .then((started) => {
    desktop = started;
  })
  .catch((error: unknown) => {
    console.error('pipewright: the desktop app failed to start', error);
    dialog.showErrorBox('Pipewright could not start', error instanceof Error ? error.message : String(error));
    app.exit(1);
  });

// Runs in flight are cancelled and recorded, and the workspace closed, before the process ends.
app.on('will-quit', (event) => {
  if (!desktop || isClosing) return;
  isClosing = true;
  event.preventDefault();
  const closing = desktop;
  desktop = null;
  closing
    .close()
    .catch((error: unknown) => console.error('pipewright: closing the project failed', error))
    .finally(() => app.quit());
});
