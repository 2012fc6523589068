// Dynamic fan-out at scale (issue 18, goal 2): 1,000 / 10,000 / 100,000 children, one small SQL block each with an
// output, reduced into one table. Each size runs in its own process; printed: time, per-child overhead, how it grows
// against the smallest size of the same run (a ratio, so a loaded machine still shows superlinear growth), peak RSS,
// and what the engine adds per child over the bare DuckDB statement a child runs (bench/fan-out-floor.ts, same run).
// BENCH_FANOUT_SIZES=1000,10000 picks the sizes.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const GOAL_CHILDREN = 100_000;
const GOAL_MS = 120_000;
const here = path.dirname(fileURLToPath(import.meta.url));

interface SizeResult {
  n: number;
  status: string;
  ms: number;
  perChildMs: number;
  rows: number;
  cpuMs: number;
  maxRssMb: number;
}

function runSize(n: number, script = 'fan-out-child.ts'): Promise<SizeResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, script), String(n)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as SizeResult)
        : reject(new Error(`fan-out of ${n} exited ${code}`)),
    );
  });
}

export async function runFanOutSection(): Promise<void> {
  const sizes = (process.env.BENCH_FANOUT_SIZES ?? '1000,10000,100000').split(',').map(Number);
  console.log(
    `\nfan-out: one SQL child per item, with outputs, reduced (concurrency 4); goal ${GOAL_CHILDREN.toLocaleString('en-US')} children ≤ ${GOAL_MS / 1000} s, memory flat`,
  );
  let base: SizeResult | undefined;
  // The floor, measured in this run beside the engine: 10,000 bare INSERTs like the children's, on 4 connections.
  const floor = await runSize(10_000, 'fan-out-floor.ts');
  console.log(`  DuckDB alone (a child's one INSERT, 4 connections): ${floor.perChildMs.toFixed(2)} ms per child`);
  for (const n of sizes) {
    const r = await runSize(n);
    base ??= r;
    const ratio = r.perChildMs / base.perChildMs;
    // Flat memory means this stays near 0 (children share one output table: no ~40 KB of DuckDB catalog each).
    const rssPerChild = n > base.n ? `, +${(((r.maxRssMb - base.maxRssMb) * 1024) / (n - base.n)).toFixed(0)} KB RSS per extra child` : '';
    const goal =
      n === GOAL_CHILDREN ? `  (goal ≤ ${GOAL_MS / 1000} s: ${r.ms <= GOAL_MS ? 'met' : `${(r.ms / GOAL_MS).toFixed(1)}× over`})` : '';
    console.log(
      `  ${n.toLocaleString('en-US').padStart(7)} children: ${r.status}, ${(r.ms / 1000).toFixed(1).padStart(6)} s, ${r.perChildMs.toFixed(2).padStart(6)} ms per child ` +
        `(${ratio.toFixed(2)}× the ${base.n.toLocaleString('en-US')}-child cost; engine ${(r.perChildMs / floor.perChildMs).toFixed(2)}× DuckDB alone), cpu ${(r.cpuMs / n).toFixed(2)} ms per child, peak RSS ${r.maxRssMb.toFixed(0)} MB${rssPerChild}, ${r.rows.toLocaleString('en-US')} rows reduced${goal}`,
    );
  }
}
