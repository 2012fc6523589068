import path from 'node:path';
import { serveRendererOverAppScheme } from './app-protocol.ts';
import { contentSecurityPolicy } from '../serve/content-security-policy.ts';
import type { AppLike, BrowserWindowLike, ElectronLike } from './electron-types.ts';
import { registerIpc, sendEvent } from './ipc.ts';
import { createDispatcher, type ApiDispatcher, type ApiHandlers } from '../api/handlers.ts';
import { denyAllPermissions, installContentSecurityPolicy } from './security.ts';
import { createSenderCheck, type RendererLocation } from './trusted-sender.ts';
import { createMainWindow } from './window.ts';
import { showAlertNotification } from './alert-notifications.ts';
import { setDefaultSecretCipher } from '../connections/secret-store.ts';
import { chooseSecretCipher } from './safe-storage-cipher.ts';

export interface ShellOptions {
  preloadPath: string;
  renderer: RendererLocation;
  /** The API served over `pw:call`; without it, only `app.info`. */
  api?: ApiDispatcher;
  /** Set when the caller already chose the secret cipher (before opening a project); else the shell chooses it. */
  secrets?: Shell['secrets'];
}

export interface Shell {
  /** Pushes an API event to every open window. */
  emit(event: string, payload: unknown): void;
  /** Where connection secrets are kept, and the warning shown when the OS offers no secure store. */
  secrets: { description: string; isOsKeychain: boolean; warning?: string };
}

/** The one method the shell serves when no project's API is wired in. */
export function appInfoHandlers(app: Pick<AppLike, 'getVersion'>): Pick<ApiHandlers, 'app.info'> {
  return {
    'app.info': async () => ({ version: app.getVersion(), node: process.versions.node, electron: process.versions.electron ?? null }),
  };
}

/** Makes the OS keychain this process's secret cipher when there is a secure one (else warns, keeping the key file). */
export function useOsKeychainForSecrets(safeStorage: ElectronLike['safeStorage']): Shell['secrets'] {
  const { cipher, warning } = chooseSecretCipher(safeStorage, process.platform);
  setDefaultSecretCipher(cipher);
  if (warning) console.warn(`pipewright: ${warning}`);
  return { description: cipher.description, isOsKeychain: cipher.isOsKeychain, ...(warning ? { warning } : {}) };
}

/** Brings the first window to the front, or opens one when all are closed. */
function focusOrOpen(BrowserWindow: ElectronLike['BrowserWindow'], openWindow: () => BrowserWindowLike): void {
  const [window] = BrowserWindow.getAllWindows();
  if (!window) return void openWindow();
  if (window.isMinimized()) window.restore();
  window.focus();
}

/**
 * Starts the desktop shell: one instance, CSP and deny-all permissions on the session, the IPC handlers,
 * then one window. Resolves once the window is created, or to null when another instance already runs
 * (this one quits and that one comes to the front).
 */
export async function startShell(electron: ElectronLike, options: ShellOptions): Promise<Shell | null> {
  const { app, BrowserWindow } = electron;
  // 1. One process owns the app (and later the project's workspace): a second launch focuses the first.
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return null;
  }
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  await app.whenReady();

  // 2. Session rules and the app:// scheme before any page loads.
  const session = electron.session.defaultSession;
  if (!options.renderer.devServerUrl) serveRendererOverAppScheme(electron.protocol, path.dirname(options.renderer.indexHtml));
  installContentSecurityPolicy(
    session,
    contentSecurityPolicy(options.renderer.devServerUrl ? { devServer: options.renderer.devServerUrl } : {}),
  );
  denyAllPermissions(session);
  const secrets = options.secrets ?? useOsKeychainForSecrets(electron.safeStorage);

  // 3. IPC, then the window.
  registerIpc(electron.ipcMain, options.api ?? createDispatcher(appInfoHandlers(app)), createSenderCheck(options.renderer));
  const openWindow = (): BrowserWindowLike => createMainWindow(electron, options.preloadPath, options.renderer);
  openWindow();
  app.on('second-instance', () => focusOrOpen(BrowserWindow, openWindow));
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) openWindow();
  });
  return {
    secrets,
    emit: (event, payload) => {
      for (const window of BrowserWindow.getAllWindows()) sendEvent(window.webContents, event, payload);
      if (event === 'alerts.raised' && electron.Notification)
        showAlertNotification(electron.Notification, payload, () => focusOrOpen(BrowserWindow, openWindow));
    },
  };
}
