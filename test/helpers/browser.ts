import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { CLI_LAUNCHER } from './run-cli.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BUILT_INDEX = path.join(repo, 'out', 'renderer', 'index.html');
const BUILT_MAIN = path.join(repo, 'out', 'main', 'index.js');
export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Builds out/ (electron-vite, a few seconds) when the renderer is missing or older than its sources (`withMain`: also
 * the Electron main and preload, for specs that start the desktop app). Several test files may do this at once: each
 * builds into its own folder under out/ and then swaps each part into place with renames, so a page being served
 * never reads a half-written renderer.
 */
export function ensureRendererBuilt(opts: { withMain?: boolean } = {}): void {
  const isFresh = (built: string, sources: string[]) =>
    existsSync(built) && Math.max(...sources.map((dir) => newestMtime(path.join(repo, dir)))) < statSync(built).mtimeMs;
  const isMainFresh = !opts.withMain || isFresh(BUILT_MAIN, ['main', 'preload']);
  if (isFresh(BUILT_INDEX, ['renderer']) && isMainFresh) return;
  const out = path.join(repo, 'out');
  const staging = path.join(out, `.build-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const built = spawnSync(
      process.execPath,
      [path.join(repo, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build', '--outDir', staging],
      { cwd: repo, encoding: 'utf8' },
    );
    if (built.status !== 0) throw new Error(`electron-vite build failed:\n${built.stdout}\n${built.stderr}`);
    for (const part of readdirSync(staging)) swapInto(path.join(staging, part), path.join(out, part));
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** Replaces the folder `target` with `fresh`: the old one is renamed aside first (a folder cannot be renamed over a non-empty one). */
function swapInto(fresh: string, target: string): void {
  const old = `${target}.old-${process.pid}-${randomBytes(4).toString('hex')}`;
  if (existsSync(target)) renameSync(target, old);
  renameSync(fresh, target);
  rmSync(old, { recursive: true, force: true });
}

/** Debian's Chromium, headless, with the background services that would reach the network turned off. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

export interface ServeProcess {
  /** The URL with the token, as printed. */
  url: string;
  child: ChildProcess;
  output(): string;
  /** SIGINT, then waits for the process to close the workspace and exit. */
  stop(): Promise<number | null>;
}

/** Starts `pipewright serve --port 0` on a project and resolves once it prints its URL (the ready signal). */
export function startServe(projectDir: string): Promise<ServeProcess> {
  // Through the launcher, as users start it (from the CLI bundle).
  const child = spawn(process.execPath, [CLI_LAUNCHER, 'serve', '--project', projectDir, '--port', '0'], {
    cwd: repo,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /serving (http:\/\/\S+)/.exec(output);
      if (!match?.[1]) return;
      child.stdout?.off('data', onData);
      resolve({
        url: match[1],
        child,
        output: () => output,
        stop: () => {
          if (child.exitCode === null) child.kill('SIGINT');
          return exited;
        },
      });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then((code) => reject(new Error(`pipewright serve exited (${code}) before it was ready:\n${output}`)));
  });
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}
