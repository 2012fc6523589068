// What the `pipewright run` terminal output costs a dynamic fan-out (issue 18, goal 2): the same fan-out as
// bench/fan-out-child.ts in-process with no reporter, then through the real CLI (stderr to a pipe this process drains),
// folded and with --verbose (every child's lines, the output before the fold), alternated; printed: each CLI run's time
// over the engine's alone, and the lines it wrote.
// BENCH_FANOUT_CLI_CHILDREN=10000 picks the size.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTempProject } from '../test/helpers/temp-project.ts';
import { writeSqlFanOut } from '../test/helpers/sql-fan-out.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const launcher = path.join(here, '..', 'main', 'cli', 'pipewright.mjs');

interface Measured {
  ms: number;
  lines: number;
}

function spawnCounting(args: string[], cwd?: string): Promise<{ code: number | null; stdout: string; lines: number; ms: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  let lines = 0;
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => {
    for (const byte of chunk) if (byte === 10) lines++;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, lines, ms: performance.now() - started }));
  });
}

/** The run's own time (from `--json`), so the CLI's start and project opening are left out as in the in-process run. */
async function throughCli(n: number, extra: string[] = []): Promise<Measured> {
  const temp = createTempProject({ engine: { concurrency: 4 } });
  try {
    writeSqlFanOut(temp, n, 'select {{ item.i }} as i, {{ item.i }} * 2 as doubled');
    const r = await spawnCounting([launcher, 'run', 'fan', '--json', '--project', temp.dir, ...extra]);
    if (r.code !== 0) throw new Error(`pipewright run exited ${r.code}`);
    const json = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as { durationMs: number };
    return { ms: json.durationMs, lines: r.lines };
  } finally {
    temp.cleanup();
  }
}

async function inProcess(n: number): Promise<Measured> {
  const r = await spawnCounting(['--import', 'tsx', path.join(here, 'fan-out-child.ts'), String(n)]);
  if (r.code !== 0) throw new Error(`fan-out-child exited ${r.code}`);
  const json = JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '{}') as { ms: number };
  return { ms: json.ms, lines: r.lines };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

export async function runFanOutCliSection(): Promise<void> {
  const n = Number(process.env.BENCH_FANOUT_CLI_CHILDREN ?? 10_000);
  const rounds = Number(process.env.BENCH_FANOUT_CLI_ROUNDS ?? 3);
  console.log(
    `\nfan-out through the CLI: ${n.toLocaleString('en-US')} SQL children, stderr to a pipe, against the engine alone and --verbose (every child's lines); goal ≈ 1.0× the engine`,
  );
  const times = { engine: [] as number[], cli: [] as number[], verbose: [] as number[] };
  const lines = { cli: 0, verbose: 0 };
  for (let round = 0; round < rounds; round++) {
    const e = await inProcess(n);
    const c = await throughCli(n);
    const v = await throughCli(n, ['--verbose']);
    times.engine.push(e.ms);
    times.cli.push(c.ms);
    times.verbose.push(v.ms);
    lines.cli = c.lines;
    lines.verbose = v.lines;
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    console.log(`  round ${round + 1}: engine alone ${s(e.ms)}, CLI ${s(c.ms)}, CLI --verbose ${s(v.ms)}`);
  }
  const ratio = (xs: number[]) => (median(xs) / median(times.engine)).toFixed(2);
  const count = (x: number) => x.toLocaleString('en-US');
  console.log(
    `  CLI ${ratio(times.cli)}× the engine alone (${count(lines.cli)} lines); --verbose ${ratio(times.verbose)}× (${count(lines.verbose)} lines); medians of ${rounds}`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await runFanOutCliSection();
