import path from 'node:path';
import { checkAllowedPath } from '../project/allowed-paths.ts';
import { z } from 'zod';
import { UserError, type ErrorPlace } from '../model/errors.ts';
import type { BlockKind } from '../model/block-kind.ts';
import { requireFamily } from '../connections/block-connection.ts';
import { exportRunHistory } from '../history-export/export-history.ts';
import { openDestination, type DestinationSpec } from '../history-export/open-destination.ts';

const configSchema = z.discriminatedUnion('to', [
  z.strictObject({
    to: z.literal('parquet'),
    /** A folder, relative to the project root. */
    path: z.string().min(1),
  }),
  z.strictObject({
    to: z.literal('postgres'),
    /** A profile of connections.yaml; default: pipewright.yaml's default_connections.postgres. */
    connection: z.string().min(1).optional(),
    /** Default `pipewright_history`. Created when missing. */
    schema: z.string().min(1).optional(),
  }),
  z.strictObject({
    to: z.literal('bigquery'),
    /** A bigquery or local_bigquery profile; default: pipewright.yaml's default_connections.bigquery. */
    connection: z.string().min(1).optional(),
    /** Default `pipewright_history`. Created when missing. */
    dataset: z.string().min(1).optional(),
  }),
]);
type RunHistoryExportConfig = z.infer<typeof configSchema>;

/**
 * The built-in `export_run_history` capability as a block, so it can be scheduled: exports the project's finished
 * runs, block runs and logs not exported yet (this run itself goes out with the next one, once it has finished).
 */
export const runHistoryExport: BlockKind<RunHistoryExportConfig> = {
  type: 'export',
  kind: 'run_history',
  title: 'Run history (runs, block runs, logs) to Parquet, Postgres or BigQuery',
  configSchema,
  code: 'none',
  async run(ctx, config) {
    const place: ErrorPlace = { block: ctx.block.id };
    const defaults = ctx.project.settings.default_connections ?? {};
    // Like every export, a block writes only inside the project or allowed_paths.
    if (config.to === 'parquet') checkAllowedPath(ctx.project, config.path, { ...place, path: 'config.path' }, 'write');
    const spec: DestinationSpec =
      config.to === 'parquet'
        ? { to: 'parquet', dir: config.path }
        : config.to === 'postgres'
          ? {
              to: 'postgres',
              connection: connectionName(config.connection, defaults.postgres, 'postgres', place),
              ...(config.schema ? { schema: config.schema } : {}),
            }
          : {
              to: 'bigquery',
              connection: connectionName(config.connection, defaults.bigquery, 'bigquery', place),
              ...(config.dataset ? { dataset: config.dataset } : {}),
            };
    const resolve = async (name: string) => {
      if (!ctx.connection) throw new Error('this host runs blocks without connections');
      return ctx.connection(name);
    };
    const destination = await openDestination(
      spec,
      { dir: ctx.project.dir, name: ctx.project.settings.name },
      {
        postgres: async (name) => requireFamily(await resolve(name), 'postgres', place),
        bigquery: async (name) => requireFamily(await resolve(name), 'bigquery', place),
      },
      place,
    );
    try {
      const tables = await exportRunHistory(destination, {
        historyFile: path.join(ctx.project.stateDir, 'history.sqlite'),
        project: ctx.project.settings.name,
        tempDir: ctx.tempDir,
        log: (message) => ctx.log('info', message),
        signal: ctx.signal,
      });
      return { rowsOut: tables.reduce((sum, t) => sum + t.rows, 0), hasOutput: false };
    } finally {
      await destination.close();
    }
  },
};

function connectionName(named: string | undefined, fallback: string | undefined, family: string, place: ErrorPlace): string {
  const chosen = named ?? fallback;
  if (!chosen)
    throw new UserError(`no connection: set config.connection, or default_connections.${family} in pipewright.yaml`, {
      ...place,
      path: 'config.connection',
    });
  return chosen;
}
