import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export type LaunchResult = { launched: true; exited: Promise<number | null> } | { launched: false; reason: string };

export interface LaunchOptions {
  /** The Pipewright checkout or install holding out/ (default: found from this file). */
  root?: string;
  /** The `electron` package folder (default: resolved from here); tests point it at a fake. */
  electronDir?: string;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
}

const require = createRequire(import.meta.url);

/**
 * Starts the desktop app (`pipewright start`): finds the Electron binary, builds out/ when it is missing,
 * and spawns Electron on out/main/index.js with the terminal attached. Resolves `launched: true` once the
 * process is running (`exited` settles with its exit code), or `launched: false` with a one-line reason
 * when this machine cannot start it (no Electron binary, no display, a failed build).
 */
export async function launchElectron(args: readonly string[], options: LaunchOptions = {}): Promise<LaunchResult> {
  const env = options.env ?? process.env;
  const root = options.root ?? findPackageRoot(path.dirname(fileURLToPath(import.meta.url)));
  // 1. The binary: the electron package downloads it lazily, so it may not be there.
  const binary = findElectronBinary(options.electronDir, env);
  if ('reason' in binary) return { launched: false, reason: binary.reason };
  // 2. A display to open a window on.
  const noDisplay = explainMissingDisplay(options.platform ?? process.platform, env);
  if (noDisplay) return { launched: false, reason: noDisplay };
  // 3. The build.
  const entry = path.join(root, 'out', 'main', 'index.js');
  if (!existsSync(entry)) {
    const failure = await buildApp(root, env);
    if (failure) return { launched: false, reason: failure };
  }
  // 4. Electron itself.
  return spawnElectron(binary.path, [entry, ...args], env);
}

/** Where the `electron` package says its binary is, without letting it start a download when it is missing. */
export function findElectronBinary(electronDir: string | undefined, env: NodeJS.ProcessEnv): { path: string } | { reason: string } {
  let dir = electronDir;
  if (!dir) {
    try {
      dir = path.dirname(require.resolve('electron/package.json'));
    } catch {
      return { reason: 'the electron package is not installed (run npm install)' };
    }
  }
  const pathFile = path.join(dir, 'path.txt');
  const overrideDir = env['ELECTRON_OVERRIDE_DIST_PATH'];
  if (!overrideDir && !existsSync(pathFile)) {
    return { reason: 'the Electron binary has not been downloaded (run `npx install-electron` with internet access)' };
  }
  const executable = existsSync(pathFile) ? readFileSync(pathFile, 'utf8') : 'electron';
  const expected = path.join(overrideDir ?? path.join(dir, 'dist'), executable);
  if (!existsSync(expected))
    return { reason: `the Electron binary ${expected} is missing (run \`npx install-electron\` with internet access)` };
  // Safe now: the package would only start a download when the binary is missing.
  return { path: require(dir) as string };
}

/** Why no window can open on this machine, or null when a display is there (Linux and BSDs need X11 or Wayland). */
export function explainMissingDisplay(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): string | null {
  if (platform === 'darwin' || platform === 'win32') return null;
  if (env['DISPLAY'] || env['WAYLAND_DISPLAY']) return null;
  return 'there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set)';
}

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'pipewright') return dir;
    if (path.dirname(dir) === dir) return path.resolve(from, '..', '..');
  }
}

/** Builds out/ with electron-vite; resolves null when it worked, else why not. */
export function buildApp(root: string, env: NodeJS.ProcessEnv): Promise<string | null> {
  let cli: string;
  try {
    cli = path.join(path.dirname(require.resolve('electron-vite/package.json')), 'bin', 'electron-vite.js');
  } catch {
    return Promise.resolve('out/ is not built and electron-vite is not installed (run npm install, then npm run build)');
  }
  process.stderr.write('pipewright: building the desktop app (out/ is missing)…\n');
  const child = spawn(process.execPath, [cli, 'build'], { cwd: root, env, stdio: ['ignore', 'ignore', 'inherit'] });
  return new Promise((resolve) => {
    child.on('error', (error) => resolve(`the build could not start: ${error.message}`));
    child.on('close', (code) => resolve(code === 0 ? null : `the build failed (npm run build exited ${code ?? 'on a signal'})`));
  });
}

function spawnElectron(binary: string, argv: string[], env: NodeJS.ProcessEnv): Promise<LaunchResult> {
  // ELECTRON_RUN_AS_NODE would make Electron a plain Node and run index.js without a window.
  const childEnv = { ...env };
  delete childEnv['ELECTRON_RUN_AS_NODE'];
  const child = spawn(binary, argv, { stdio: 'inherit', env: childEnv });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return new Promise((resolve) => {
    child.once('spawn', () => resolve({ launched: true, exited }));
    child.once('error', (error) => resolve({ launched: false, reason: `Electron could not start: ${error.message}` }));
  });
}
