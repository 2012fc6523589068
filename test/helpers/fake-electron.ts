import type { BrowserWindowConstructorOptions, MenuItemConstructorOptions, MessageBoxOptions, OpenDialogOptions } from 'electron';
import type { ElectronLike, InvokeEvent, ResponseHeaders, SyncIpcEvent } from '../../main/electron/electron-types.ts';

type Listener = (...args: never[]) => unknown;
type HeadersListener = (
  details: { responseHeaders?: ResponseHeaders },
  callback: (response: { responseHeaders?: ResponseHeaders }) => void,
) => void;
type PermissionRequestHandler = (webContents: unknown, permission: string, callback: (granted: boolean) => void) => void;
type PermissionCheckHandler = (webContents: unknown, permission: string) => boolean;

class FakeEmitter {
  readonly listeners = new Map<string, Listener[]>();
  on(event: string, listener: Listener): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }
  once(event: string, listener: Listener): this {
    return this.on(event, listener);
  }
  /** Calls every listener of `event` like Electron would. */
  emit(event: string, ...args: unknown[]): void {
    for (const listener of this.listeners.get(event) ?? []) (listener as (...a: unknown[]) => unknown)(...args);
  }
}

class FakeWebContents extends FakeEmitter {
  windowOpenHandler: ((details: { url: string }) => { action: string }) | undefined;
  readonly sent: unknown[][] = [];
  destroyed = false;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = handler;
  }
  send(channel: string, ...args: unknown[]): void {
    this.sent.push([channel, ...args]);
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  reloadCount = 0;
  reload(): void {
    this.reloadCount += 1;
  }
}

/**
 * A stand-in for Electron's safeStorage: seals by XOR with a key only it holds (so sealed bytes never contain the
 * plain text), counts its calls, and reports availability and the Linux backend as told.
 */
export function createFakeSafeStorage(opts: { isAvailable?: boolean; backend?: string } = {}) {
  const key = Buffer.from('fake-os-keychain-key');
  const xor = (bytes: Buffer) => Buffer.from(bytes.map((b, i) => b ^ (key[i % key.length] ?? 0)));
  const calls = { encrypt: 0, decrypt: 0 };
  return {
    calls,
    isEncryptionAvailable: () => opts.isAvailable ?? true,
    encryptString: (plain: string) => {
      calls.encrypt += 1;
      return Buffer.concat([Buffer.from('FAKEKC'), xor(Buffer.from(plain, 'utf8'))]);
    },
    decryptString: (sealed: Buffer) => {
      calls.decrypt += 1;
      if (!sealed.subarray(0, 6).equals(Buffer.from('FAKEKC')))
        throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
      return xor(sealed.subarray(6)).toString('utf8');
    },
    getSelectedStorageBackend: () => opts.backend ?? 'gnome_libsecret',
  };
}

/** A stand-in for the `electron` module that records what the shell asked of it. */
export function createFakeElectron(
  opts: { hasLock?: boolean; safeStorage?: ReturnType<typeof createFakeSafeStorage>; pickedFolders?: (string | null)[] } = {},
) {
  const windows: FakeWindow[] = [];
  const ipcHandlers = new Map<string, (event: InvokeEvent, ...args: unknown[]) => unknown>();
  const ipcListeners = new Map<string, (event: SyncIpcEvent) => void>();
  // The custom schemes main serves, as protocol.handle registered them.
  const protocolHandlers = new Map<string, (request: Request) => Response | Promise<Response>>();
  const opened: string[] = [];
  const session: {
    headersListener?: HeadersListener;
    permissionRequest?: PermissionRequestHandler;
    permissionCheck?: PermissionCheckHandler;
    webRequest: { onHeadersReceived(listener: HeadersListener): void };
    setPermissionRequestHandler(handler: PermissionRequestHandler): void;
    setPermissionCheckHandler(handler: PermissionCheckHandler): void;
  } = {
    webRequest: { onHeadersReceived: (listener) => void (session.headersListener = listener) },
    setPermissionRequestHandler: (handler) => void (session.permissionRequest = handler),
    setPermissionCheckHandler: (handler) => void (session.permissionCheck = handler),
  };

  class FakeWindow extends FakeEmitter {
    static getAllWindows(): FakeWindow[] {
      return windows;
    }
    readonly webContents = new FakeWebContents();
    loaded: { file?: string; url?: string } = {};
    isShown = false;
    focusCount = 0;
    constructor(readonly options: BrowserWindowConstructorOptions) {
      super();
      windows.push(this);
    }
    show(): void {
      this.isShown = true;
    }
    focus(): void {
      this.focusCount += 1;
    }
    restore(): void {}
    isMinimized(): boolean {
      return false;
    }
    async loadFile(file: string): Promise<void> {
      this.loaded = { file };
    }
    async loadURL(url: string): Promise<void> {
      this.loaded = { url };
    }
  }

  const app = Object.assign(new FakeEmitter(), {
    isPackaged: false,
    quitCount: 0,
    whenReady: async () => undefined,
    getVersion: () => '9.8.7',
    quit: () => void (app.quitCount += 1),
    exitCodes: [] as number[],
    exit: (code: number) => void app.exitCodes.push(code),
    requestSingleInstanceLock: () => opts.hasLock ?? true,
    paths: {} as Record<string, string>,
    setPath: (name: string, dir: string) => void (app.paths[name] = dir),
    relaunches: [] as { args: string[] }[],
    relaunch: (options: { args: string[] }) => void app.relaunches.push(options),
  });
  // Answers folder pickers in order (null: the user cancelled) and records error boxes.
  const pickedFolders = [...(opts.pickedFolders ?? [])];
  const dialog = {
    errorBoxes: [] as { title: string; content: string }[],
    openDialogs: [] as OpenDialogOptions[],
    showOpenDialog: async (options: OpenDialogOptions) => {
      dialog.openDialogs.push(options);
      const folder = pickedFolders.shift() ?? null;
      return folder === null ? { canceled: true, filePaths: [] } : { canceled: false, filePaths: [folder] };
    },
    showErrorBox: (title: string, content: string) => void dialog.errorBoxes.push({ title, content }),
    messageBoxes: [] as MessageBoxOptions[],
    showMessageBox: async (options: MessageBoxOptions) => {
      dialog.messageBoxes.push(options);
      return { response: 0 };
    },
  };
  const menu = {
    applied: null as MenuItemConstructorOptions[] | null,
    buildFromTemplate: (template: MenuItemConstructorOptions[]) => template,
    setApplicationMenu: (built: never) => void (menu.applied = built as MenuItemConstructorOptions[]),
  };

  const electron = {
    app,
    BrowserWindow: FakeWindow,
    ipcMain: {
      handle: (channel: string, listener: (event: InvokeEvent, ...args: unknown[]) => unknown) => void ipcHandlers.set(channel, listener),
      on: (channel: string, listener: (event: SyncIpcEvent) => void) => void ipcListeners.set(channel, listener),
    },
    protocol: {
      handle: (scheme: string, handler: (request: Request) => Response | Promise<Response>) => void protocolHandlers.set(scheme, handler),
    },
    session: { defaultSession: session },
    shell: { openExternal: async (url: string) => void opened.push(url) },
    dialog,
    Menu: menu,
    ...(opts.safeStorage ? { safeStorage: opts.safeStorage } : {}),
  } satisfies ElectronLike;

  return { electron, app, windows, session, ipcHandlers, ipcListeners, protocolHandlers, opened, dialog, menu };
}
