import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI_ENTRY = path.join(repo, 'main', 'cli', 'index.ts');
export const CLI_LAUNCHER = path.join(repo, 'main', 'cli', 'pipewright.mjs');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI in a child process as users do, through the launcher (from its bundle, built when a source changed);
 * `fromSource` runs main/cli/index.ts under tsx instead. `onStderr` sees each chunk so a test can react (e.g. send
 * SIGINT once a block has started).
 */
export function runCli(
  args: string[],
  opts: {
    cwd?: string;
    onStderr?: (text: string, child: ReturnType<typeof spawn>) => void;
    fromSource?: boolean;
    env?: Record<string, string>;
  } = {},
): Promise<CliResult> {
  const entry = opts.fromSource ? ['--import', 'tsx', CLI_ENTRY] : [CLI_LAUNCHER];
  const child = spawn(process.execPath, [...entry, ...args], {
    cwd: opts.cwd ?? repo,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    opts.onStderr?.(stderr, child);
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
