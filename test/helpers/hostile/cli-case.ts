import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { CLI_ENTRY } from '../run-cli.ts';
import type { Outcome } from './case.ts';

/**
 * Runs pipeline `p` of a fresh project (`blocks`) with the CLI in a child process: whatever the input does to the
 * process (an uncaught exception, an abort) stays there. Exit 0/1 with a --json result is an outcome; a signal,
 * another exit code or a stack trace on stderr is a crash (an `internal` error); `signal` kills the child.
 */
export async function runInChild(dir: string, blocks: Record<string, unknown>[], signal: AbortSignal): Promise<Outcome> {
  mkdirSync(path.join(dir, 'pipelines', 'p'), { recursive: true });
  writeFileSync(path.join(dir, 'pipewright.yaml'), stringify({ name: 'hostile-child', engine: { retry: { retries: 0 } } }));
  writeFileSync(path.join(dir, 'pipelines', 'p', 'pipeline.yaml'), stringify({ blocks }));
  const child = spawn(process.execPath, ['--import', 'tsx', CLI_ENTRY, 'run', 'p', '--project', dir, '--json'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  const kill = () => child.kill('SIGKILL');
  signal.addEventListener('abort', kill, { once: true });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const [code, killedBy] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('close', (c, s) => resolve([c, s])),
  );
  signal.removeEventListener('abort', kill);
  const crash = (why: string): Outcome => ({ error: { kind: 'internal', message: `${why}\n${stderr.slice(-1500)}`, retryable: false } });
  if (killedBy) return crash(`killed by ${killedBy}`);
  if (/\n\s+at .+:\d+:\d+/.test(stderr)) return crash(`exit ${code} with a stack trace`);
  if (code !== 0 && code !== 1) return crash(`exit ${code}`);
  const result = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as { blocks?: { rows: number | null; error: string | null }[] };
  const block = result.blocks?.[0];
  if (!block) return crash('no --json result');
  return block.error ? { error: { kind: 'operational', message: block.error, retryable: false } } : { rows: block.rows };
}
