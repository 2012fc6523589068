import type { NavigationEvent, ResponseHeaders, SessionLike, ShellLike, WebContentsLike } from './electron-types.ts';

/**
 * The shell's security rules (Electron's checklist, VS Code and Beekeeper as models): a CSP header,
 * no permissions, no navigation away from the app, no new windows, no webviews, and one choke point for
 * opening links in the user's browser.
 */

const EXTERNAL_PROTOCOLS = new Set(['http:', 'https:']);

/** Opens `url` in the user's browser only when it is http(s); anything else (file:, custom schemes) is refused and reported. */
export async function openExternalSafely(shell: ShellLike, url: string): Promise<boolean> {
  const parsed = URL.canParse(url) ? new URL(url) : null;
  if (!parsed || !EXTERNAL_PROTOCOLS.has(parsed.protocol)) {
    // shell.openExternal hands the URL to the OS, which can launch local programs for other schemes.
    console.warn(`pipewright: refused to open ${JSON.stringify(url)} outside the app (only http and https links open)`);
    return false;
  }
  try {
    await shell.openExternal(parsed.href);
    return true;
  } catch (error) {
    console.warn(`pipewright: could not open ${parsed.href}: ${error instanceof Error ? error.message : String(error)}`);
    return false;
  }
}

/** Adds the Content-Security-Policy header to every response the session receives, replacing any the server sent. */
export function installContentSecurityPolicy(session: SessionLike, policy: string): void {
  session.webRequest.onHeadersReceived((details, callback) => {
    const headers: ResponseHeaders = {};
    for (const [name, value] of Object.entries(details.responseHeaders ?? {})) {
      if (name.toLowerCase() !== 'content-security-policy') headers[name] = value;
    }
    headers['Content-Security-Policy'] = [policy];
    callback({ responseHeaders: headers });
  });
}

/** Denies every permission request and check (camera, notifications, clipboard read…): Electron grants them by default. */
export function denyAllPermissions(session: SessionLike): void {
  session.setPermissionRequestHandler((_webContents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}

/**
 * Keeps a window on the app: navigation elsewhere is cancelled (a clicked http(s) link opens in the browser
 * instead), redirects away are cancelled, `window.open` never creates a window, and `<webview>` never attaches.
 */
export function lockDownWebContents(contents: WebContentsLike, shell: ShellLike, isAppUrl: (url: string) => boolean): void {
  contents.on('will-navigate', (details: NavigationEvent) => {
    if (isAppUrl(details.url)) return;
    details.preventDefault();
    void openExternalSafely(shell, details.url);
  });
  contents.on('will-redirect', (details: NavigationEvent) => {
    if (!isAppUrl(details.url)) details.preventDefault();
  });
  contents.setWindowOpenHandler(({ url }) => {
    void openExternalSafely(shell, url);
    return { action: 'deny' };
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}
