import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launchElectron } from '../main/electron/launch.ts';
import { CLI_LAUNCHER } from './helpers/run-cli.ts';

const repo = path.resolve(import.meta.dirname, '..');
const bundledNode = path.join(repo, 'node_modules', 'node', 'bin', process.platform === 'win32' ? 'node.exe' : 'node');

// A stand-in CLI: `echo` reports what it was given and where it runs from (the bundle, or the .ts source under
// tsx); `wait` records the signals it gets and exits with their count.
const FAKE_CLI = `
const [command, ...rest] = process.argv.slice(2);
if (command === 'echo') {
  const from = import.meta.url.endsWith('.ts') ? 'source' : 'bundle';
  process.stdout.write(JSON.stringify({ args: rest, cwd: process.cwd(), node: process.version, from }) + '\\n');
  process.exit(Number(process.env.FAKE_EXIT ?? 0));
}
if (command === 'wait') {
  const seen: string[] = [];
  for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(name, () => {
      seen.push(name);
      if (seen.length === 1) setTimeout(() => { process.stdout.write('signals ' + JSON.stringify(seen) + '\\n'); process.exit(seen.length); }, 500);
    });
  }
  process.stdout.write('ready\\n');
  // Never outlive a test that forgot to signal: exit 99 on its own.
  setTimeout(() => process.exit(99), 8000);
}
`;

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Spawns a command in a new session: no controlling terminal (so the launcher knows no terminal sent its
 * signals, even when the tests run in one), and one process group to kill if it hangs.
 * `onStdout` sees the output so far and may signal the child.
 */
function run(
  command: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; onStdout?: (text: string, child: ReturnType<typeof spawn>) => void } = {},
): Promise<Ran> {
  const isPosix = process.platform !== 'win32';
  const child = spawn(command, args, {
    cwd: opts.cwd ?? repo,
    env: opts.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: isPosix,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    opts.onStdout?.(stdout, child);
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => (isPosix && child.pid ? process.kill(-child.pid, 'SIGKILL') : child.kill('SIGKILL')), 20_000);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * A throwaway checkout: the real launcher and bundler, a fake main/cli/index.ts (and a stub TypeScript-block worker,
 * the bundle's second entry), or only a built out/cli/pipewright.js, and the repo's node_modules.
 */
function makeCheckout(t: TestContext, layout: { source?: boolean; built?: string; nodeModules?: boolean }): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-launcher-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, 'main', 'cli'), { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'pipewright', type: 'module' }));
  copyFileSync(CLI_LAUNCHER, path.join(dir, 'main', 'cli', 'pipewright.mjs'));
  copyFileSync(path.join(path.dirname(CLI_LAUNCHER), 'build-cli.mjs'), path.join(dir, 'main', 'cli', 'build-cli.mjs'));
  if (layout.source) {
    writeFileSync(path.join(dir, 'main', 'cli', 'index.ts'), FAKE_CLI);
    mkdirSync(path.join(dir, 'main', 'sandbox'), { recursive: true });
    writeFileSync(path.join(dir, 'main', 'sandbox', 'ts-worker.ts'), 'export {};\n');
  }
  if (layout.built) {
    mkdirSync(path.join(dir, 'out', 'cli'), { recursive: true });
    writeFileSync(path.join(dir, 'out', 'cli', 'pipewright.js'), layout.built);
  }
  if (layout.nodeModules) symlinkSync(path.join(repo, 'node_modules'), path.join(dir, 'node_modules'), 'junction');
  return path.join(dir, 'main', 'cli', 'pipewright.mjs');
}

/** A Node older than 22 on this machine (the system one), or null. */
function findOlderNode(): string | null {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node']) {
    if (!existsSync(candidate)) continue;
    const version = spawnSync(candidate, ['--version'], { encoding: 'utf8' }).stdout.trim();
    if (Number(version.slice(1).split('.')[0]) < 22) return candidate;
  }
  return null;
}

const olderNode = findOlderNode();
const hasScript = process.platform === 'linux' && spawnSync('script', ['--version']).status === 0;

test(
  're-executes under the bundled Node 22 when started by an older Node',
  { skip: olderNode ? false : 'no Node older than 22 here' },
  async () => {
    const expected = spawnSync(bundledNode, ['--version'], { encoding: 'utf8' }).stdout.trim();
    assert.match(expected, /^v22\./);
    const direct = await run(olderNode ?? '', [CLI_LAUNCHER, '__node-version']);
    assert.deepEqual([direct.code, direct.stdout.trim()], [0, expected]);
  },
);

test('answers __node-version with the running Node when it is already 22 or newer', async () => {
  const result = await run(process.execPath, [CLI_LAUNCHER, '__node-version']);
  assert.deepEqual([result.code, result.stdout], [0, `${process.version}\n`]);
});

test(
  'without a bundled Node, an older Node gets one line saying Pipewright needs Node 22, and exit 2',
  { skip: olderNode ? false : 'no Node older than 22 here' },
  async (t) => {
    const launcher = makeCheckout(t, { source: true });
    const result = await run(olderNode ?? '', [launcher, 'echo']);
    assert.equal(result.code, 2);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /^pipewright: needs Node 22 or newer, and this is Node 2?\d\.[\d.]+; .*\n$/);
    assert.equal(result.stderr.split('\n').length, 2);
  },
);

test('builds the CLI bundle on first start and runs it from any folder, passing arguments and the exit code', async (t) => {
  const launcher = makeCheckout(t, { source: true, nodeModules: true });
  const cwd = os.tmpdir();
  const result = await run(process.execPath, [launcher, 'echo', 'a', 'b c', '--json'], { cwd, env: { ...process.env, FAKE_EXIT: '3' } });
  assert.equal(result.code, 3, result.stderr);
  assert.deepEqual(JSON.parse(result.stdout), { args: ['a', 'b c', '--json'], cwd, node: process.version, from: 'bundle' });
  assert.ok(existsSync(path.join(launcher, '..', '..', '..', 'out', 'cli', 'pipewright.js')), 'the bundle stays for the next start');
});

test('rebuilds the bundle when a source file changed since it was built', async (t) => {
  const launcher = makeCheckout(t, { source: true, nodeModules: true });
  const first = await run(process.execPath, [launcher, 'echo', 'before']);
  assert.equal(first.code, 0, first.stderr);
  const source = path.join(launcher, '..', 'index.ts');
  writeFileSync(source, readFileSync(source, 'utf8').replace('args: rest', "args: ['edited', ...rest]"));
  const second = await run(process.execPath, [launcher, 'echo', 'after']);
  assert.equal(second.code, 0, second.stderr);
  assert.deepEqual((JSON.parse(second.stdout) as { args: string[] }).args, ['edited', 'after']);
});

test('PIPEWRIGHT_FROM_SOURCE=1 runs the sources through tsx instead of the bundle', async (t) => {
  const launcher = makeCheckout(t, { source: true, nodeModules: true });
  const result = await run(process.execPath, [launcher, 'echo', 'x'], { env: { ...process.env, PIPEWRIGHT_FROM_SOURCE: '1' } });
  assert.equal(result.code, 0, result.stderr);
  assert.equal((JSON.parse(result.stdout) as { from: string }).from, 'source');
});

test('a bundle that cannot be built says so in one line and runs the sources through tsx', async (t) => {
  const launcher = makeCheckout(t, { source: true, nodeModules: true });
  rmSync(path.join(launcher, '..', '..', 'sandbox'), { recursive: true });
  const result = await run(process.execPath, [launcher, 'echo', 'x']);
  assert.equal(result.code, 0, result.stderr);
  assert.equal((JSON.parse(result.stdout) as { from: string }).from, 'source');
  assert.match(result.stderr, /^pipewright: could not build the CLI bundle \(.*ts-worker.*\); running from source\n$/);
});

test('an older Node runs the CLI on Node 22 through the re-exec', { skip: olderNode ? false : 'no Node older than 22 here' }, async (t) => {
  const launcher = makeCheckout(t, { source: true, nodeModules: true });
  const result = await run(olderNode ?? '', [launcher, 'echo', 'x']);
  assert.equal(result.code, 0, result.stderr);
  assert.match((JSON.parse(result.stdout) as { node: string }).node, /^v22\./);
});

test('without sources it imports the built out/cli/pipewright.js and exits with what main() returns', async (t) => {
  const built = `export async function main(args) { process.stdout.write('built ' + JSON.stringify(args) + '\\n'); return 4; }\n`;
  const launcher = makeCheckout(t, { built, nodeModules: true });
  const result = await run(process.execPath, [launcher, 'history', '--json']);
  assert.deepEqual([result.code, result.stdout], [4, 'built ["history","--json"]\n']);
  const empty = makeCheckout(t, {});
  const missing = await run(process.execPath, [empty, 'run']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /the CLI is not built; run npm run build/);
});

test('relays a SIGINT or SIGTERM sent to the launcher alone, once, and waits for the CLI to finish', async (t) => {
  const launcher = makeCheckout(t, { source: true, nodeModules: true });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    let isSent = false;
    // From source: the CLI is a child of the launcher (from the bundle it runs in the launcher's own process).
    const result = await run(process.execPath, [launcher, 'wait'], {
      env: { ...process.env, PIPEWRIGHT_FROM_SOURCE: '1' },
      onStdout: (text, child) => {
        if (isSent || !text.includes('ready')) return;
        isSent = true;
        child.kill(signal);
      },
    });
    assert.equal(result.code, 1, `${signal}: ${result.stderr}`);
    assert.match(result.stdout, new RegExp(`signals \\["${signal}"\\]`));
  }
});

test(
  'Ctrl-C in a terminal reaches the CLI exactly once, also through the older-Node re-exec',
  { skip: hasScript ? false : 'needs util-linux script for a terminal' },
  async (t) => {
    const launcher = makeCheckout(t, { source: true, nodeModules: true });
    const nodes = [process.execPath, ...(olderNode ? [olderNode] : [])];
    for (const node of nodes) {
      let isSent = false;
      // `script` gives the launcher a terminal; writing ^C to it makes the terminal send SIGINT to its foreground group.
      const result = await run('script', ['-qec', `exec '${node}' '${launcher}' wait`, '/dev/null'], {
        onStdout: (text, child) => {
          if (isSent || !text.includes('ready')) return;
          isSent = true;
          child.stdin?.write('\x03');
        },
      });
      assert.match(result.stdout, /signals \["SIGINT"\]/, `${node}: ${result.stdout}`);
      assert.equal(result.code, 1, node);
    }
  },
);

test('the real CLI answers through the launcher, also as `npx pipewright`', async () => {
  const direct = await run(process.execPath, [CLI_LAUNCHER, '--version'], { cwd: os.tmpdir() });
  assert.deepEqual([direct.code, direct.stdout], [0, 'pipewright 0.1.0\n'], direct.stderr);
  const npx = await run('npm', ['exec', '--offline', '--no', '--', 'pipewright', '__node-version'], {
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
  assert.deepEqual([npx.code, npx.stdout.trim().slice(0, 4)], [0, 'v22.'], npx.stderr);
});

/** A fake `electron` package folder; with `binary`, its path.txt names an executable that records how it was started. */
function makeElectronPackage(t: TestContext, binary?: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-electron-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    path.join(dir, 'index.js'),
    "module.exports = require('path').join(__dirname, 'dist', require('fs').readFileSync(require('path').join(__dirname, 'path.txt'), 'utf8'));\n",
  );
  if (binary !== undefined) {
    mkdirSync(path.join(dir, 'dist'));
    writeFileSync(path.join(dir, 'path.txt'), 'fake-electron');
    writeFileSync(path.join(dir, 'dist', 'fake-electron'), binary);
    chmodSync(path.join(dir, 'dist', 'fake-electron'), 0o755);
  }
  return dir;
}

test('start says why when the Electron binary was never downloaded, or there is no display', async (t) => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'pw-root-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const notDownloaded = await launchElectron([], { root, electronDir: makeElectronPackage(t), env: { DISPLAY: ':0' }, platform: 'linux' });
  assert.deepEqual(notDownloaded, {
    launched: false,
    reason: 'the Electron binary has not been downloaded (run `npx install-electron` with internet access)',
  });
  const headless = await launchElectron([], { root, electronDir: makeElectronPackage(t, '#!/bin/sh\n'), env: {}, platform: 'linux' });
  assert.deepEqual(headless, { launched: false, reason: 'there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set)' });
  assert.equal(existsSync(path.join(root, 'out')), false, 'nothing was built for a launch that cannot happen');
});

test(
  'start spawns Electron on out/main/index.js with the arguments and without ELECTRON_RUN_AS_NODE',
  { skip: process.platform === 'win32' ? 'uses a shell-script binary' : false },
  async (t) => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'pw-root-'));
    t.after(() => rmSync(root, { recursive: true, force: true }));
    mkdirSync(path.join(root, 'out', 'main'), { recursive: true });
    writeFileSync(path.join(root, 'out', 'main', 'index.js'), '');
    const record = path.join(root, 'started.txt');
    const binary = `#!/bin/sh\nprintf '%s\\n' "$@" "run-as-node=\${ELECTRON_RUN_AS_NODE:-unset}" > '${record}'\nexit 7\n`;
    const env = { PATH: process.env['PATH'] ?? '', DISPLAY: ':99', ELECTRON_RUN_AS_NODE: '1' };
    const result = await launchElectron(['--project', 'examples/nyc-taxi'], {
      root,
      electronDir: makeElectronPackage(t, binary),
      env,
      platform: 'linux',
    });
    assert.equal(result.launched, true);
    assert.equal(result.launched && (await result.exited), 7);
    assert.deepEqual(readFileSync(record, 'utf8').split('\n'), [
      path.join(root, 'out', 'main', 'index.js'),
      '--project',
      'examples/nyc-taxi',
      'run-as-node=unset',
      '',
    ]);
  },
);
