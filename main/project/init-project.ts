import { cp, mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { UserError } from '../model/errors.ts';
import { CONNECTIONS_FILE, PROJECT_FILE } from './load-project.ts';

export type ExampleName = 'nyc-taxi';

/** Local state that must never be committed; every project's .gitignore lists it. */
const STATE_IGNORE = '.pipewright/';
/** Entries of an example folder that are local results of running it, not part of the example. */
const EXAMPLE_LOCAL_ENTRIES = new Set(['.pipewright', 'output', 'node_modules']);
/** Entries that may already be in the target folder (a fresh `git init`). */
const TOLERATED_ENTRIES = new Set(['.git']);

/**
 * Creates a project in `dir` (created if missing; refused when it holds anything but `.git`): a copy of an
 * example, or a skeleton with the local connections and a starter pipeline that runs offline. Either way
 * `.gitignore` lists `.pipewright/`.
 */
export async function initProject(dir: string, opts: { example?: ExampleName }): Promise<void> {
  const root = path.resolve(dir);
  await refuseNonEmpty(root);
  await mkdir(root, { recursive: true });
  if (opts.example) await copyExample(opts.example, root);
  else await writeSkeleton(root);
  await ensureGitignore(root);
}

async function refuseNonEmpty(root: string): Promise<void> {
  const info = await stat(root).catch((error: unknown) => {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!info) return;
  if (!info.isDirectory()) throw new UserError(`${root} is a file: give init a folder (new or empty)`);
  const entries = (await readdir(root)).filter((name) => !TOLERATED_ENTRIES.has(name));
  if (entries.length > 0) {
    const shown = entries.slice(0, 5).join(', ') + (entries.length > 5 ? ', …' : '');
    throw new UserError(`${root} is not empty (${shown}): init needs a new or empty folder so nothing is overwritten`);
  }
}

async function copyExample(example: ExampleName, root: string): Promise<void> {
  const source = fileURLToPath(new URL(`../../examples/${example}`, import.meta.url));
  const info = await stat(source).catch(() => undefined);
  // The examples ship with Pipewright; a missing one is a packaging bug, not the user's to fix.
  if (!info?.isDirectory()) throw new Error(`the ${example} example is missing from this installation (${source})`);
  await cp(source, root, {
    recursive: true,
    filter: (from) => path.dirname(from) !== source || !EXAMPLE_LOCAL_ENTRIES.has(path.basename(from)),
  });
}

/** A new project's connections: the local Postgres and emulators, so exports work offline before any account exists. */
const LOCAL_CONNECTIONS = `# Named connection profiles. Secrets are references (keychain or environment), never values.
# These three run on this machine, started by Pipewright when a run needs them (data under .pipewright/): an
# embedded Postgres and the GCS and BigQuery emulators. Point default_connections in pipewright.yaml at your own
# profiles (type: postgres, gcs, bigquery) to load into real servers.
local_pg:
  type: local_postgres
  database: pipewright
local_gcs:
  type: local_gcs
local_bq:
  type: local_bigquery
`;

/** The pipeline a new project starts with: it runs offline (DuckDB makes its rows), so the first Run shows data. */
export const STARTER_PIPELINE_ID = 'starter';
const STARTER_FILES: Record<string, string> = {
  [`pipelines/${STARTER_PIPELINE_ID}/pipeline.yaml`]: `name: Starter
description: >
  Runs offline: a SQL source makes a month of sample orders, a SQL transform sums them per day.
  Swap the source for your data (the palette's File over HTTP, Local file or Postgres) and keep going.
blocks:
  - id: sample_orders
    type: source
    kind: sql
    file: blocks/sample_orders.sql

  - id: orders_per_day
    type: transform
    kind: sql
    file: blocks/orders_per_day.sql
    upstream: [sample_orders]
`,
  'blocks/sample_orders.sql': `-- 300 sample orders over January 2024, made by DuckDB: no network, no files.
select
  i as order_id,
  date '2024-01-01' + cast(i % 31 as integer) as order_date,
  'customer ' || (i % 12) as customer,
  round(5 + (i * 37 % 200) / 4.0, 2) as amount
from range(300) as t(i)
`,
  'blocks/orders_per_day.sql': `-- Reads the source's output by its block name.
select order_date, count(*) as orders, sum(amount) as revenue
from sample_orders
group by order_date
order by order_date
`,
};

async function writeSkeleton(root: string): Promise<void> {
  const settings = stringify({
    name: path.basename(root),
    engine: { concurrency: 4 },
    default_connections: { postgres: 'local_pg', gcs: 'local_gcs', bigquery: 'local_bq' },
  });
  await writeFile(
    path.join(root, PROJECT_FILE),
    `# Pipewright project settings. Pipelines live in pipelines/<id>/pipeline.yaml, block code in blocks/.\n${settings}`,
  );
  await writeFile(path.join(root, CONNECTIONS_FILE), LOCAL_CONNECTIONS);
  for (const [file, text] of Object.entries(STARTER_FILES)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), text);
  }
}

async function ensureGitignore(root: string): Promise<void> {
  const file = path.join(root, '.gitignore');
  const current = await readFile(file, 'utf8').catch((error: unknown) => {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return '';
    throw error;
  });
  const lines = current.split(/\r?\n/).map((line) => line.trim());
  if (lines.some((line) => ['.pipewright', '.pipewright/', '/.pipewright', '/.pipewright/'].includes(line))) return;
  const separator = current === '' || current.endsWith('\n') ? '' : '\n';
  await writeFile(file, `${current}${separator}${STATE_IGNORE}\n`);
}
