#!/usr/bin/env node
// The `pipewright` command (package.json "bin", `npm run pipewright`, `npm start`). Plain JavaScript so any
// Node can start it:
// 1. On a Node older than 22 it re-executes itself with the bundled Node 22 (the `node` npm package).
// 2. It runs the CLI from its bundle, out/cli/pipewright.js, in this process (a start takes tens of milliseconds,
//    not the second or two tsx needs to compile the sources). In a checkout (main/cli/index.ts present) it first
//    builds that bundle when it is missing or older than a source file (build-cli.mjs, about a second).
// 3. PIPEWRIGHT_FROM_SOURCE=1, or a build that fails, runs the sources through tsx in a child process instead:
//    `--import tsx` must be set when Node starts, and worker threads inherit it.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import module, { createRequire } from 'node:module';
import { constants } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REQUIRED_MAJOR = 22;
// Set on the re-executed process, so a `node` package that is not Node 22 fails instead of looping.
const REEXEC_MARK = 'PIPEWRIGHT_NODE_REEXEC';
// Set to 1 to run the TypeScript sources through tsx (no bundle), e.g. to debug them.
const FROM_SOURCE = 'PIPEWRIGHT_FROM_SOURCE';
const launcher = fileURLToPath(import.meta.url);
const root = path.resolve(path.dirname(launcher), '..', '..');
const args = process.argv.slice(2);

if (Number(process.versions.node.split('.')[0]) < REQUIRED_MAJOR) {
  reexecUnderBundledNode();
} else if (args[0] === '__node-version') {
  // Hidden command for tests: prints the version of the Node that runs the CLI, after any re-exec.
  process.stdout.write(`${process.version}\n`);
} else {
  await runCli();
}

function reexecUnderBundledNode() {
  const bundled = findBundledNode();
  if (!bundled || process.env[REEXEC_MARK]) {
    process.stderr.write(
      `pipewright: needs Node ${REQUIRED_MAJOR} or newer, and this is Node ${process.versions.node}; install Node ${REQUIRED_MAJOR}, or run npm install in the Pipewright folder to get its bundled Node ${REQUIRED_MAJOR}\n`,
    );
    process.exit(2);
  }
  runChild(bundled, [launcher, ...args], { ...process.env, [REEXEC_MARK]: '1' });
}

function findBundledNode() {
  let packageDir;
  try {
    packageDir = path.dirname(createRequire(import.meta.url).resolve('node/package.json'));
  } catch {
    return null; // not installed (an install without dev dependencies): the caller explains
  }
  const candidates = [path.join(packageDir, 'bin', 'node'), path.join(packageDir, 'bin', 'node.exe')];
  return candidates.find((file) => existsSync(file)) ?? null;
}

async function runCli() {
  const source = path.join(root, 'main', 'cli', 'index.ts');
  const bundle = path.join(root, 'out', 'cli', 'pipewright.js');
  if (existsSync(source)) {
    if (process.env[FROM_SOURCE] === '1' || !(await ensureFreshBundle())) return runFromSource(source);
  } else if (!existsSync(bundle)) {
    process.stderr.write('pipewright: the CLI is not built; run npm run build in the Pipewright folder\n');
    process.exit(2);
  }
  // V8 keeps the compiled bundle on disk (Node 22.1+): later starts skip parsing and compiling ~3 MB of JavaScript.
  module.enableCompileCache?.(path.join(root, 'out', 'cli', '.compile-cache'));
  // Source maps sit beside the bundle but stay off (they cost a start ~30 ms): `node --enable-source-maps` for main/ stacks.
  const cli = await import(pathToFileURL(bundle).href);
  if (typeof cli.main === 'function') process.exitCode = await cli.main(args);
}

/** Builds out/cli/ when a source changed since; false (after saying why) when it cannot, so the sources run instead. */
async function ensureFreshBundle() {
  try {
    const { buildCli, isCliBundleFresh } = await import('./build-cli.mjs');
    if (!isCliBundleFresh()) await buildCli();
    return true;
  } catch (error) {
    const reason = error?.errors?.[0]?.text ?? error?.message ?? String(error);
    process.stderr.write(`pipewright: could not build the CLI bundle (${reason}); running from source\n`);
    return false;
  }
}

function runFromSource(source) {
  const tsx = resolveTsx();
  if (!tsx) {
    process.stderr.write('pipewright: tsx is not installed and the CLI is not built; run npm install, then npm run build\n');
    process.exit(2);
  }
  runChild(process.execPath, ['--import', tsx, source, ...args], process.env);
}

function resolveTsx() {
  try {
    // An absolute URL: `--import tsx` alone would be resolved from the user's current folder.
    return import.meta.resolve('tsx');
  } catch {
    return null;
  }
}

/** Runs the child with our terminal, relays signals it would not get otherwise, and exits as it exits. */
function runChild(command, argv, env) {
  const child = spawn(command, argv, { stdio: 'inherit', env });
  // Handling these also keeps the launcher alive until the child has finished its own cleanup.
  const relayed = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const relay = (signal) => {
    if (shouldRelay(signal)) child.kill(signal);
  };
  for (const signal of relayed) process.on(signal, relay);
  child.on('error', (error) => {
    process.stderr.write(`pipewright: could not start ${command}: ${error.message}\n`);
    process.exit(2);
  });
  child.on('close', (code, signal) => {
    for (const name of relayed) process.off(name, relay);
    if (signal && process.platform !== 'win32') {
      // End the way the child ended, so a shell or npm sees the signal; exit as a shell would if it survives.
      process.kill(process.pid, signal);
      setTimeout(() => process.exit(128 + (constants.signals[signal] ?? 0)), 200).unref();
      return;
    }
    process.exit(code ?? 1);
  });
}

/**
 * Ctrl-C (and a terminal hang-up) reaches every process in the terminal's foreground group, the child
 * included, and npm relays one more SIGINT to us. Relaying those would give the CLI two SIGINTs, which it
 * reads as "quit now" instead of "cancel cleanly". So SIGINT and SIGHUP are relayed only when we are not
 * in a terminal's foreground group (a test, CI, a process manager); SIGTERM is aimed at one process, so always.
 */
function shouldRelay(signal) {
  if (signal === 'SIGTERM') return true;
  if (process.platform === 'win32') return false; // the console delivers Ctrl-C to every attached process
  return !isInTerminalForeground();
}

function isInTerminalForeground() {
  try {
    if (process.platform === 'linux') {
      // /proc/self/stat after the command name: state ppid pgrp session tty_nr tpgid …
      const stat = readFileSync('/proc/self/stat', 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const pgrp = Number(fields[2]);
      const tpgid = Number(fields[5]);
      return tpgid > 0 && tpgid === pgrp;
    }
    const ps = spawnSync('ps', ['-o', 'tpgid=,pgid=', '-p', String(process.pid)], { encoding: 'utf8' });
    const [tpgid, pgid] = ps.stdout.trim().split(/\s+/).map(Number);
    return tpgid > 0 && tpgid === pgid;
  } catch {
    return false; // cannot tell: relay, so a signal aimed at us alone still reaches the CLI
  }
}
