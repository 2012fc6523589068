// Bounded memory for the whole example (issue 18, goal 3): yellow_taxi_etl with every export (Parquet, Postgres, GCS
// and BigQuery, the emulators in the run's own process as a CLI run without `pipewright sandbox` has them) over the
// 5,000,000-row month at memory_limit 300MB. Printed: peak RSS of the run's process against the goal, and the
// per-block times. The Postgres server is a process of its own and is not counted.
import { cpSync, rmSync } from 'node:fs';
import path from 'node:path';
import { loadProject } from '../main/project/load-project.ts';
import { resolvePostgresConnection } from '../main/connections/resolve-connection.ts';
import { LocalPostgres } from '../main/postgres/local-server.ts';

const GOAL_MB = 700;
type RunChild = (
  script: string,
  args: string[],
) => Promise<{ ms: number; maxRssMb: number; rows?: number; status?: string; blocks?: { id: string; durationMs: number | null }[] }>;

export async function runExampleMemorySection(opts: {
  work: string;
  exampleDir: string;
  url: string;
  rows: number;
  runChild: RunChild;
}): Promise<void> {
  const project = path.join(opts.work, 'nyc-taxi-memory');
  rmSync(project, { recursive: true, force: true });
  cpSync(opts.exampleDir, project, { recursive: true });
  // Held for the whole section, so the run reuses it rather than starting one inside the measured process's time.
  await resolvePostgresConnection(await loadProject(project), 'local_pg', { log: (m) => console.log(`  ${m}`) });
  try {
    console.log(
      `\nyellow_taxi_etl, every export, ${opts.rows.toLocaleString('en-US')} rows at memory_limit 300MB (goal: peak RSS ≤ ${GOAL_MB} MB)`,
    );
    // One run (with its download): a second would only repeat the peak, which the download does not set.
    const r = await opts.runChild('postgres-pipewright.ts', [project, opts.url, '--whole']);
    const goal = r.maxRssMb <= GOAL_MB ? 'met' : `${(r.maxRssMb / GOAL_MB).toFixed(2)}× over`;
    console.log(
      `  whole pipeline: ${(r.ms / 1000).toFixed(1)} s, peak RSS ${r.maxRssMb.toFixed(0)} MB (${goal}), ${r.rows?.toLocaleString('en-US')} rows, status ${r.status}`,
    );
    console.log(`  per block: ${(r.blocks ?? []).map((b) => `${b.id} ${((b.durationMs ?? 0) / 1000).toFixed(1)} s`).join(', ')}`);
  } finally {
    await LocalPostgres.at(path.join(project, '.pipewright')).stop();
  }
}
