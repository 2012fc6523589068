// Bounded memory and speed in TypeScript blocks (issue 18, goal 3): the 5,000,000-row yellow CSV.gz loaded at
// memory_limit 300MB, then passed through a TypeScript block that streams record batches (the starter's shape), one
// that takes the whole table, and a SQL block `SELECT * FROM trips` (DuckDB's CREATE TABLE AS, the baseline); each in
// its own process, alternated over BENCH_TS_ROUNDS rounds (medians). Printed: peak RSS against the load alone and the
// goal, and each TS block's own time as a ratio to the CREATE TABLE AS of the same rows in the same run.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeYellowTaxiCsv } from '../test/helpers/taxi-csv.ts';

const ROWS = Number(process.env.BENCH_TS_ROWS ?? 5_000_000);
const ROUNDS = Number(process.env.BENCH_TS_ROUNDS ?? 1);
const GOAL_MB = 700;
const here = path.dirname(fileURLToPath(import.meta.url));

interface ModeResult {
  mode: string;
  status: string;
  ms: number;
  rows: number;
  maxRssMb: number;
  /** The last block's own time (the TS or SQL block; the load in mode `load`). */
  blockMs: number;
  /** The last block's own CPU, every thread's. */
  blockCpuMs: number;
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

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

const LABELS: Record<string, string> = {
  load: 'load alone (no TS block)',
  ctas: 'SQL CREATE TABLE AS *',
  batches: 'TS block, record batches',
  table: 'TS block, whole table',
};

export async function runTsMemorySection(work: string): Promise<void> {
  mkdirSync(work, { recursive: true });
  const csv = path.join(work, `yellow_${ROWS}.csv.gz`);
  if (!existsSync(csv)) {
    await writeYellowTaxiCsv(csv, { rows: ROWS, seed: 2021, gzip: true });
    console.log(`generated ${ROWS.toLocaleString('en-US')} rows (${(statSync(csv).size / 1e6).toFixed(1)} MB gz)`);
  }
  console.log(
    `\nTypeScript block over ${ROWS.toLocaleString('en-US')} yellow rows at memory_limit 300MB, medians of ${ROUNDS} ` +
      `(goals: peak RSS ≤ ${GOAL_MB} MB; pass-through time near DuckDB's CREATE TABLE AS)`,
  );
  const modes = (process.env.BENCH_TS_MODES ?? 'load,ctas,batches,table').split(',');
  const runs = new Map<string, ModeResult[]>(modes.map((m) => [m, []]));
  for (let round = 0; round < ROUNDS; round++) for (const mode of modes) runs.get(mode)?.push(await runMode(csv, mode));
  const med = (mode: string, key: 'ms' | 'maxRssMb' | 'blockMs' | 'blockCpuMs') => median((runs.get(mode) ?? []).map((r) => r[key]));
  const hasLoad = runs.has('load');
  const hasCtas = runs.has('ctas');
  for (const mode of modes) {
    const status = [...new Set(runs.get(mode)?.map((r) => r.status))].join('/');
    const rss = med(mode, 'maxRssMb');
    const vsLoad = hasLoad && mode !== 'load' ? `, ${(rss / med('load', 'maxRssMb')).toFixed(2)}× the load's RSS` : '';
    const ratio = (key: 'blockMs' | 'blockCpuMs') => (med(mode, key) / med('ctas', key)).toFixed(1);
    const vsCtas =
      hasCtas && mode !== 'load' && mode !== 'ctas' ? `, block ${ratio('blockMs')}× CREATE TABLE AS (CPU ${ratio('blockCpuMs')}×)` : '';
    const goal =
      mode === 'load' || mode === 'ctas'
        ? ''
        : `  (goal ≤ ${GOAL_MB} MB: ${rss <= GOAL_MB ? 'met' : `${(rss / GOAL_MB).toFixed(2)}× over`})`;
    console.log(
      `  ${(LABELS[mode] ?? mode).padEnd(27)} ${status}, ${(med(mode, 'ms') / 1000).toFixed(1).padStart(6)} s ` +
        `(block ${(med(mode, 'blockMs') / 1000).toFixed(1)} s, CPU ${(med(mode, 'blockCpuMs') / 1000).toFixed(1)} s), peak RSS ${rss.toFixed(0)} MB${vsLoad}${vsCtas}${goal}`,
    );
  }
}
