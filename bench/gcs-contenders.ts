// The GCS/BigQuery section of `npm run bench`: the cleaned month exported to the GCS emulator as Parquet partitioned
// by pickup date, then loaded into the BigQuery emulator, against DuckDB writing the same
// partitioned Parquet to a local folder (the floor). The emulators run in this process, as `pipewright sandbox` would
// run them, so the exporting child competes with them only for the cores, not for its event loop.
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { LocalEmulator, stopLocalEmulators } from '../main/connections/local-emulators.ts';

interface GcsChildResult {
  exportMs: number[];
  coldExportMs: number | null;
  floorMs: number[];
  bigquery: { ms: number; rows: number; status: string };
  rows?: number;
  status?: string;
}
type RunChild = (script: string, args: string[]) => Promise<unknown>;

const KEPT_BLOCKS = ['load_yellow_taxi', 'clean_yellow_taxi', 'export_yellow_taxi_gcs_partitioned', 'load_yellow_taxi_bigquery'];

/** Runs the GCS contender and prints the export, the floor and their ratio against the goal (≤ 2×). */
export async function runGcsSection(opts: { work: string; exampleDir: string; csv: string; runChild: RunChild }): Promise<void> {
  const project = path.join(opts.work, 'nyc-taxi-gcs');
  rmSync(project, { recursive: true, force: true });
  cpSync(opts.exampleDir, project, { recursive: true });
  onlyGcsPath(project, opts.csv);
  const stateDir = path.join(project, '.pipewright');
  try {
    // BENCH_GCS_IN_PROCESS=1: no sandbox, so the child starts the emulator on its own event loop (the CLI's case).
    const gcs = process.env.BENCH_GCS_IN_PROCESS ? { endpoint: 'in process' } : await LocalEmulator.gcs(stateDir).ensureRunning();
    if (!process.env.BENCH_GCS_IN_PROCESS) await LocalEmulator.bigquery(stateDir).ensureRunning();
    console.log(
      `\nyellow_taxi_etl to GCS (emulator at ${gcs.endpoint}), partitioned by tpep_pickup_date, then loaded into BigQuery (emulator)`,
    );
    const r = (await opts.runChild('gcs-export-child.ts', [project])) as GcsChildResult;
    const best = (xs: number[]) => Math.min(...xs);
    const secs = (ms: number | null) => (ms === null ? '?' : `${(ms / 1000).toFixed(2)} s`);
    console.log(`  rows: ${r.rows?.toLocaleString('en-US')}, status ${r.status}`);
    console.log(`  GCS export block, warm: ${r.exportMs.map(secs).join(', ')}  (first run, with bucket creation: ${secs(r.coldExportMs)})`);
    console.log(`  DuckDB alone, same partitioned Parquet to a local folder: ${r.floorMs.map(secs).join(', ')}`);
    console.log(`  ratio GCS export / local write (best of each): ${(best(r.exportMs) / best(r.floorMs)).toFixed(2)}x   (goal <= 2x)`);
    console.log(
      `  BigQuery load block (one load job from the partitioned objects, warm): ${secs(r.bigquery.ms)}, ${r.bigquery.rows.toLocaleString('en-US')} rows, status ${r.bigquery.status}`,
    );
  } finally {
    await stopLocalEmulators(stateDir);
  }
}

/** Keeps the blocks this section measures, and reads the month from the local file instead of over HTTP. */
function onlyGcsPath(project: string, csv: string): void {
  const file = path.join(project, 'pipelines', 'yellow_taxi_etl', 'pipeline.yaml');
  const doc = parseDocument(readFileSync(file, 'utf8'));
  const blocks = doc.get('blocks') as { items: { get(key: string): unknown; set(key: string, value: unknown): void }[] };
  blocks.items = blocks.items.filter((block) => KEPT_BLOCKS.includes(String(block.get('id'))));
  const load = blocks.items.find((block) => block.get('id') === 'load_yellow_taxi');
  const config = load?.get('config') as { delete(key: string): void; set(key: string, value: unknown): void } | undefined;
  load?.set('kind', 'local_file');
  config?.delete('url');
  config?.set('path', csv);
  doc.delete('variables');
  writeFileSync(file, doc.toString());
}

/** Drops the GCS and BigQuery blocks from a copy of the example, so the other sections measure what they always did. */
export function withoutCloudExports(project: string): void {
  const file = path.join(project, 'pipelines', 'yellow_taxi_etl', 'pipeline.yaml');
  const doc = parseDocument(readFileSync(file, 'utf8'));
  const blocks = doc.get('blocks') as { items: { get(key: string): unknown }[] };
  blocks.items = blocks.items.filter((block) => !['gcs', 'bigquery'].includes(String(block.get('kind'))));
  writeFileSync(file, doc.toString());
}
