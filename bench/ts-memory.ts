// Bounded memory in TypeScript blocks (issue 18, goal 3): the 5,000,000-row yellow CSV.gz loaded at memory_limit
// 300MB, then passed through a TypeScript block that streams record batches (the starter's shape), and one that
// takes the whole table; each in its own process. Printed: peak RSS against the load alone and against the goal.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeYellowTaxiCsv } from '../test/helpers/taxi-csv.ts';

const ROWS = 5_000_000;
const GOAL_MB = 700;
const here = path.dirname(fileURLToPath(import.meta.url));

interface ModeResult {
  mode: string;
  status: string;
  ms: number;
  rows: number;
  maxRssMb: number;
}

function runMode(csv: string, mode: string): Promise<ModeResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'ts-memory-child.ts'), csv, mode], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as ModeResult)
        : reject(new Error(`ts-memory ${mode} exited ${code}`)),
    );
  });
}

export async function runTsMemorySection(work: string): Promise<void> {
  mkdirSync(work, { recursive: true });
  const csv = path.join(work, `yellow_${ROWS}.csv.gz`);
  if (!existsSync(csv)) {
    await writeYellowTaxiCsv(csv, { rows: ROWS, seed: 2021, gzip: true });
    console.log(`generated ${ROWS.toLocaleString('en-US')} rows (${(statSync(csv).size / 1e6).toFixed(1)} MB gz)`);
  }
  console.log(`\nTypeScript block over ${ROWS.toLocaleString('en-US')} yellow rows at memory_limit 300MB (goal: peak RSS ≤ ${GOAL_MB} MB)`);
  const modes = (process.env.BENCH_TS_MODES ?? 'load,batches,table').split(',');
  let load: ModeResult | undefined;
  for (const mode of modes) {
    const r = await runMode(csv, mode);
    if (mode === 'load') load = r;
    const label = { load: 'load alone (no TS block)', batches: 'TS block, record batches', table: 'TS block, whole table' }[mode] ?? mode;
    const vsLoad =
      load && mode !== 'load'
        ? `, ${(r.maxRssMb / load.maxRssMb).toFixed(2)}× the load's RSS, ${((r.ms - load.ms) / 1000).toFixed(1)} s more`
        : '';
    const goal =
      mode === 'load' ? '' : `  (goal ≤ ${GOAL_MB} MB: ${r.maxRssMb <= GOAL_MB ? 'met' : `${(r.maxRssMb / GOAL_MB).toFixed(2)}× over`})`;
    console.log(
      `  ${label.padEnd(27)} ${r.status}, ${(r.ms / 1000).toFixed(1).padStart(6)} s, peak RSS ${r.maxRssMb.toFixed(0)} MB${vsLoad}${goal}`,
    );
  }
}
