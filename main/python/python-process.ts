import { spawn, type ChildProcess } from 'node:child_process';
import { CancelledError, UserError } from '../model/errors.ts';
import type { LogLevel } from '../model/run-events.ts';
import type { PythonInterpreter } from './interpreter.ts';

/** How a run of the interpreter ended: its stdout, stderr lines and exit. */
export interface PythonExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Complete lines written to stdout. */
  stdout: string[];
  /** The last lines written to stderr (kept for error messages). */
  stderrTail: string[];
}

export interface PythonSpawn {
  interpreter: PythonInterpreter;
  args: string[];
  cwd: string;
  signal: AbortSignal;
  /** Each stdout line as it arrives; without it, lines are collected in `stdout`. */
  onStdoutLine?(line: string): void;
  /** Each stderr line as it arrives. */
  onStderrLine?(line: string): void;
  /** The block to name in the "no interpreter" message. */
  block: string;
}

const STDERR_TAIL = 20;

/**
 * Runs the interpreter in its own process group and resolves when it has exited. Aborting `signal` kills the
 * whole group (the block's subprocesses too) and rejects with the abort reason once the process is gone.
 * A missing interpreter rejects with a UserError that says how to set one.
 */
export function runPython(run: PythonSpawn): Promise<PythonExit> {
  if (run.signal.aborted) return Promise.reject(stopReason(run.signal));
  return new Promise((resolve, reject) => {
    const child = spawn(run.interpreter.command, run.args, {
      cwd: run.cwd,
      // Its own group, so cancelling kills what the block started; stdin stays open so the harness can tell when we are gone.
      detached: process.platform !== 'win32',
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
      env: { ...process.env, PYTHONUNBUFFERED: '1', PYTHONDONTWRITEBYTECODE: '1', PYTHONIOENCODING: 'utf-8' },
    });
    const stdout: string[] = [];
    const stderrTail: string[] = [];
    let spawnError: Error | undefined;
    const onAbort = () => killGroup(child);
    run.signal.addEventListener('abort', onAbort, { once: true });
    splitLines(child.stdout, (line) => (run.onStdoutLine ? run.onStdoutLine(line) : stdout.push(line)));
    splitLines(child.stderr, (line) => {
      stderrTail.push(line);
      if (stderrTail.length > STDERR_TAIL) stderrTail.shift();
      run.onStderrLine?.(line);
    });
    // The harness reads stdin only to notice our exit; a write error after it ended is expected.
    child.stdin.on('error', () => undefined);
    child.on('error', (error) => {
      spawnError = error;
    });
    child.on('close', (code, signal) => {
      run.signal.removeEventListener('abort', onAbort);
      child.stdin.destroy();
      if (run.signal.aborted) return reject(stopReason(run.signal));
      if (spawnError) return reject(interpreterError(spawnError, run.interpreter, run.block));
      resolve({ code, signal, stdout, stderrTail });
    });
  });
}

/** Kills the process and its group at once: a `while True:` never looks at a gentler signal. */
function killGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    if (process.platform === 'win32') spawn('taskkill', ['/pid', String(child.pid), '/T', '/F'], { windowsHide: true });
    else process.kill(-child.pid, 'SIGKILL');
  } catch (error) {
    // ESRCH: the group ended between the check and the kill. Otherwise kill at least the process itself.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') child.kill('SIGKILL');
  }
}

function splitLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let pending = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) onLine(line.replace(/\r$/, ''));
  });
  stream.on('end', () => {
    if (pending) onLine(pending);
    pending = '';
  });
}

/** The signal's reason when it is a real error (the engine's TimeoutError); a plain abort() means cancelled. */
export function stopReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  const isPlainAbort = reason instanceof DOMException && reason.name === 'AbortError';
  return reason instanceof Error && !isPlainAbort ? reason : new CancelledError();
}

function interpreterError(error: Error, interpreter: PythonInterpreter, block: string): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== 'ENOENT' && code !== 'EACCES') return error;
  const problem = code === 'ENOENT' ? 'does not exist' : 'is not executable';
  const fix = interpreter.isConfigured
    ? 'fix python: in pipewright.yaml, or create that environment (e.g. python3 -m venv .venv && .venv/bin/pip install pandas)'
    : 'install Python 3 with pandas, or set python: in pipewright.yaml (e.g. python: .venv/bin/python)';
  const what = interpreter.isConfigured
    ? `the Python interpreter ${interpreter.written} (python: in pipewright.yaml)`
    : `${interpreter.written} (no python: in pipewright.yaml, so the one on the PATH)`;
  return new UserError(`block ${block} needs ${what}, which ${problem}: ${fix}`, { block, file: 'pipewright.yaml', path: 'python' });
}

/** Maps a Python logging level name to ours. */
export function logLevelOf(level: unknown): LogLevel {
  return level === 'debug' || level === 'warn' || level === 'error' ? level : 'info';
}
