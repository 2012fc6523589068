import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadProject } from '../project/load-project.ts';
import { resolveConnection, resolvePostgresConnection } from '../connections/resolve-connection.ts';
import { requireFamily } from '../connections/block-connection.ts';
import { exportRunHistory } from '../history-export/export-history.ts';
import { openDestination, type DestinationSpec } from '../history-export/open-destination.ts';
import { resolveProjectDir } from './project-dir.ts';
import { UsageError } from './usage.ts';

/**
 * `pipewright export-history --to parquet <dir> | --to postgres <connection> [--schema S] | --to bigquery <connection> [--dataset D]`: writes the runs, block
 * runs and logs the destination does not hold yet. Resolves to 0, or throws (exit 2) naming what to fix.
 */
export async function exportHistoryCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      project: { type: 'string' },
      to: { type: 'string' },
      schema: { type: 'string' },
      dataset: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const target = positionals[0];
  if (!values.to || !target || positionals.length > 1)
    throw new UsageError('export-history needs --to parquet <dir>, --to postgres <connection> or --to bigquery <connection>');
  const spec = destinationSpec(values.to, target, values.schema, values.dataset);
  const project = await loadProject(await resolveProjectDir(values.project));
  const tempDir = await mkdtemp(path.join(os.tmpdir(), 'pw-history-'));
  const destination = await openDestination(
    spec,
    { dir: project.dir, name: project.settings.name },
    {
      postgres: (name) => resolvePostgresConnection(project, name),
      bigquery: async (name) =>
        requireFamily(await resolveConnection(project, name), 'bigquery', { file: 'connections.yaml', path: `${name}.type` }),
    },
  );
  try {
    const tables = await exportRunHistory(destination, {
      historyFile: path.join(project.stateDir, 'history.sqlite'),
      project: project.settings.name,
      tempDir,
      log: (message) => {
        if (!values.json) process.stderr.write(`${message}\n`);
      },
    });
    if (values.json) process.stdout.write(`${JSON.stringify({ destination: destination.label, tables })}\n`);
    else
      process.stdout.write(`exported ${tables.map((t) => `${t.rows} ${t.table.replace('_', ' ')}`).join(', ')} to ${destination.label}\n`);
    return 0;
  } finally {
    await destination.close();
    await rm(tempDir, { recursive: true, force: true });
  }
}

function destinationSpec(to: string, target: string, schema: string | undefined, dataset: string | undefined): DestinationSpec {
  if (schema !== undefined && to !== 'postgres') throw new UsageError('--schema is for --to postgres');
  if (dataset !== undefined && to !== 'bigquery') throw new UsageError('--dataset is for --to bigquery');
  if (to === 'parquet') return { to: 'parquet', dir: path.resolve(target) };
  if (to === 'postgres') return { to: 'postgres', connection: target, ...(schema !== undefined ? { schema } : {}) };
  if (to === 'bigquery') return { to: 'bigquery', connection: target, ...(dataset !== undefined ? { dataset } : {}) };
  throw new UsageError(`--to takes parquet, postgres or bigquery, not '${to}'`);
}
