import type { BrowserWindowConstructorOptions, MenuItemConstructorOptions, MessageBoxOptions, OpenDialogOptions } from 'electron';
import type { NotificationClass } from './alert-notifications.ts';

/**
 * The small slice of Electron's API the shell uses, as structural types. The shell's functions take it as a
 * parameter, so tests drive them in plain Node with a fake, and main.ts passes the real module (the
 * type checker proves the real module fits).
 */

/** An event whose default action can be cancelled (navigation, webview attach). */
export interface CancellableEvent {
  preventDefault(): void;
}

/** `will-navigate` / `will-redirect` details (Electron passes the target in `details.url`). */
export interface NavigationEvent extends CancellableEvent {
  url: string;
}

/** The frame an IPC message came from: its document URL and whether it is a sub-frame. */
export interface SenderFrame {
  url: string;
  parent: unknown;
}

/** An `ipcMain.handle` event: `senderFrame` is null when the frame has gone away. */
export interface InvokeEvent {
  senderFrame: SenderFrame | null;
}

export interface WebContentsLike {
  on(event: 'will-navigate' | 'will-redirect', listener: (details: NavigationEvent) => void): unknown;
  on(event: 'will-attach-webview', listener: (event: CancellableEvent) => void): unknown;
  on(event: 'render-process-gone', listener: (event: unknown, details: { reason: string; exitCode: number }) => void): unknown;
  reload(): void;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' } | { action: 'allow' }): void;
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
}

export interface BrowserWindowLike {
  readonly webContents: WebContentsLike;
  once(event: 'ready-to-show', listener: () => void): unknown;
  show(): void;
  focus(): void;
  restore(): void;
  isMinimized(): boolean;
  loadFile(filePath: string): Promise<void>;
  loadURL(url: string): Promise<void>;
}

export interface BrowserWindowClass {
  new (options: BrowserWindowConstructorOptions): BrowserWindowLike;
  getAllWindows(): BrowserWindowLike[];
}

/** Response headers as Electron hands them to `onHeadersReceived` (names keep the server's casing). */
export type ResponseHeaders = Record<string, string | string[]>;

export interface SessionLike {
  webRequest: {
    onHeadersReceived(
      listener: (
        details: { responseHeaders?: ResponseHeaders },
        callback: (response: { responseHeaders?: ResponseHeaders }) => void,
      ) => void,
    ): void;
  };
  setPermissionRequestHandler(handler: (webContents: unknown, permission: string, callback: (granted: boolean) => void) => void): void;
  setPermissionCheckHandler(handler: (webContents: unknown, permission: string) => boolean): void;
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEvent, ...args: unknown[]) => unknown): void;
  /** For the one synchronous message (`sendSync`): the listener answers through `event.returnValue`. */
  on(channel: string, listener: (event: SyncIpcEvent) => void): unknown;
}

/** An `ipcMain.on` event of a `sendSync` message. */
export interface SyncIpcEvent extends InvokeEvent {
  returnValue: unknown;
}

/** Electron's `protocol`: serves a custom scheme from main (the renderer's `app://`). */
export interface ProtocolLike {
  handle(scheme: string, handler: (request: Request) => Response | Promise<Response>): void;
}

export interface ShellLike {
  openExternal(url: string): Promise<void>;
}

export interface AppLike {
  readonly isPackaged: boolean;
  whenReady(): Promise<unknown>;
  getVersion(): string;
  quit(): void;
  /** Ends the process at once (no will-quit): only when it is too broken to close cleanly. */
  exit(code: number): void;
  requestSingleInstanceLock(): boolean;
  setPath(name: 'userData', path: string): void;
  /** Starts the app again once this instance quits (with these arguments after the executable). */
  relaunch(options: { args: string[] }): void;
  on(event: 'window-all-closed' | 'activate' | 'second-instance', listener: () => void): unknown;
}

/** Electron's `safeStorage`: strings sealed by the OS keychain (usable once the app is ready). */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(sealed: Buffer): string;
  /** Linux only: which secret store backs it (`basic_text` means none). */
  getSelectedStorageBackend?(): string;
}

/** Electron's `dialog`: native folder pickers and error boxes. */
export interface DialogLike {
  showOpenDialog(options: OpenDialogOptions): Promise<{ canceled: boolean; filePaths: string[] }>;
  showErrorBox(title: string, content: string): void;
  /** A non-blocking message box (internal errors the app survived). */
  showMessageBox(options: MessageBoxOptions): Promise<unknown>;
}

/** Electron's `Menu`: the application menu. */
export interface MenuLike {
  buildFromTemplate(template: MenuItemConstructorOptions[]): unknown;
  setApplicationMenu(menu: never): void;
}

/** Everything `startShell` needs from the `electron` module. */
export interface ElectronLike {
  app: AppLike;
  BrowserWindow: BrowserWindowClass;
  ipcMain: IpcMainLike;
  session: { defaultSession: SessionLike };
  /** Serves the renderer on `app://pipewright/` (see app-protocol.ts). */
  protocol: ProtocolLike;
  shell: ShellLike;
  /** Desktop notifications for `alerts.raised`; without it, alerts only reach the window. */
  Notification?: NotificationClass;
  /** Keeps connection secrets in the OS keychain; without it (or without a keyring) the key file, with a warning. */
  safeStorage?: SafeStorageLike;
  /** Folder pickers and error boxes (Open Project…, a project that cannot be opened); without it, no project menu. */
  dialog?: DialogLike;
  /** The application menu (File › Open Project…, New Project…, Open Recent). */
  Menu?: MenuLike;
}
