import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { _electron, type Browser, type ElectronApplication, type Page } from 'playwright-core';
import { ensureRendererBuilt, launchChromium, startServe, type ServeProcess } from './browser.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The built Electron main (electron-vite writes it; package.json's "main"). */
export const ELECTRON_MAIN = path.join(repo, 'out', 'main', 'index.js');

/**
 * Where the UI specs run: `serve` (default: `pipewright serve` + Debian's Chromium) or `electron` (the desktop app
 * through Playwright's `_electron`, where the Electron binary exists): PIPEWRIGHT_UI_TARGET=electron.
 */
export type UiTarget = 'serve' | 'electron';

/** The target these specs run against, from PIPEWRIGHT_UI_TARGET (anything but `electron` means serve). */
export function uiTarget(env: NodeJS.ProcessEnv = process.env): UiTarget {
  return env['PIPEWRIGHT_UI_TARGET'] === 'electron' ? 'electron' : 'serve';
}

/** A `skip` value for a test that only means something in serve mode (a token, an Origin, a second browser window). */
export function serveOnly(why: string): string | false {
  return uiTarget() === 'electron' ? `serve mode only: ${why}` : false;
}

/**
 * The Electron binary: PIPEWRIGHT_ELECTRON_PATH, else the one the `electron` package downloaded (its path.txt).
 * Never requires the package: that would try to download the binary. Throws a message that says what to do.
 */
export function findElectronBinary(env: NodeJS.ProcessEnv = process.env, packageDir = path.join(repo, 'node_modules', 'electron')): string {
  const explicit = env['PIPEWRIGHT_ELECTRON_PATH'];
  if (explicit) {
    if (!existsSync(explicit)) throw new Error(`PIPEWRIGHT_ELECTRON_PATH points at ${explicit}, which does not exist`);
    return explicit;
  }
  const pathFile = path.join(packageDir, 'path.txt');
  const binary = existsSync(pathFile) ? path.join(packageDir, 'dist', readFileSync(pathFile, 'utf8').trim()) : null;
  if (binary && existsSync(binary)) return binary;
  throw new Error(
    'PIPEWRIGHT_UI_TARGET=electron, but the Electron binary is not installed (node_modules/electron has no dist/): ' +
      'run `npx install-electron` where the download works, or set PIPEWRIGHT_ELECTRON_PATH to an Electron binary',
  );
}

/** How the desktop app is started for a spec: the built main, the project, and a userData folder of its own. */
export function electronLaunchOptions(
  projectDir: string,
  userDataDir: string,
  opts: { timezoneId?: string; env?: NodeJS.ProcessEnv } = {},
) {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(opts.env ?? process.env)) {
    // Left out: a dev server URL (the built renderer is tested) and ELECTRON_RUN_AS_NODE (plain Node, not the app).
    if (value !== undefined && name !== 'ELECTRON_RENDERER_URL' && name !== 'ELECTRON_RUN_AS_NODE') env[name] = value;
  }
  env['PIPEWRIGHT_USER_DATA_DIR'] = userDataDir;
  if (opts.timezoneId) env['TZ'] = opts.timezoneId;
  return { args: [ELECTRON_MAIN, '--project', projectDir], env, cwd: repo };
}

export interface AppWindowOptions {
  viewport: { width: number; height: number };
  /** The zone the page's clock and Intl use (serve: the browser context's; Electron: the app's TZ). */
  timezoneId?: string;
}

/** The app under test: one window on a project, however it runs. */
export interface AppUnderTest {
  target: UiTarget;
  page: Page;
  /** Serve mode: the URL with the token, as printed; null in Electron. */
  url: string | null;
  /**
   * Serve mode: another browser window on the same server (Electron has one window per app); `beforeLoad` runs
   * before the UI is loaded (e.g. to route its requests).
   */
  openWindow(options: AppWindowOptions & { beforeLoad?: (page: Page) => Promise<unknown> }): Promise<Page>;
  /** Everything the server or app printed. */
  output(): string;
  /** Closes the window and stops the server or app (which closes the project); resolves to its exit code. */
  close(): Promise<number | null>;
}

/** After a spec: closes the app, removes its temp project, and fails the spec when the app did not stop cleanly. */
export async function closeSpecApp(app: AppUnderTest | undefined, temp: { cleanup(): void } | undefined): Promise<void> {
  const code = await app?.close();
  temp?.cleanup();
  assert.equal(code, 0, `the app should stop cleanly:\n${app?.output()}`);
}

/** Opens the UI on `projectDir`: `pipewright serve` + Chromium, or the Electron app (PIPEWRIGHT_UI_TARGET=electron). */
export async function openApp(projectDir: string, options: AppWindowOptions): Promise<AppUnderTest> {
  ensureRendererBuilt({ withMain: uiTarget() === 'electron' });
  return uiTarget() === 'electron' ? openElectronApp(projectDir, options) : openServedApp(projectDir, options);
}

/** Opens the UI on `projectDir` through `pipewright serve` in Chromium, whatever the target (benches measure serve mode); build out/renderer first. */
export async function openServedApp(projectDir: string, options: AppWindowOptions): Promise<AppUnderTest & { url: string }> {
  const serve: ServeProcess = await startServe(projectDir);
  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    const opened = browser;
    const openWindow = async (window: AppWindowOptions & { beforeLoad?: (page: Page) => Promise<unknown> }) => {
      const context = await opened.newContext({
        viewport: window.viewport,
        ...(window.timezoneId ? { timezoneId: window.timezoneId } : {}),
      });
      const page = await context.newPage();
      await window.beforeLoad?.(page);
      await page.goto(serve.url);
      return page;
    };
    const page = await openWindow(options);
    return {
      target: 'serve',
      page,
      url: serve.url,
      openWindow,
      output: () => serve.output(),
      close: async () => {
        await opened.close();
        return serve.stop();
      },
    };
  } catch (error) {
    await browser?.close();
    await serve.stop();
    throw error;
  }
}

async function openElectronApp(projectDir: string, options: AppWindowOptions): Promise<AppUnderTest> {
  const executablePath = findElectronBinary();
  const userDataDir = mkdtempSync(path.join(os.tmpdir(), 'pw-electron-'));
  let output = '';
  let app: ElectronApplication | undefined;
  try {
    app = await _electron.launch({ executablePath, ...electronLaunchOptions(projectDir, userDataDir, options) });
    const launched = app;
    launched.process().stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    launched.process().stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const page = await launched.firstWindow();
    await page.setViewportSize(options.viewport);
    return {
      target: 'electron',
      page,
      url: null,
      openWindow: () => Promise.reject(new Error('the desktop app has one window: this spec is serve mode only')),
      output: () => output,
      close: async () => {
        const child = launched.process();
        const exited =
          child.exitCode !== null
            ? Promise.resolve(child.exitCode)
            : new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
        await launched.close();
        const code = await exited;
        rmSync(userDataDir, { recursive: true, force: true });
        return code;
      },
    };
  } catch (error) {
    await app?.close();
    rmSync(userDataDir, { recursive: true, force: true });
    throw error;
  }
}
