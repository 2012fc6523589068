import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { UserError } from '../model/errors.ts';
import { quoteIdent, quoteLiteral } from './sql-names.ts';
import { STAGE_DB } from './shared-output.ts';

export interface WorkspaceOptions {
  /** The DuckDB file, `<project>/.pipewright/workspace.duckdb`. */
  path: string;
  threads?: number;
  /** A DuckDB size such as `4GB`. */
  memoryLimit?: string;
  /** Keep source row order in outputs (slower, more memory). Default false. */
  preserveInsertionOrder?: boolean;
  /** Where DuckDB spills when a query outgrows memory. */
  spillDir?: string;
  /**
   * When set, DuckDB reads and writes files only under these folders (and the spill folder): external access off,
   * configuration locked, so no SQL can widen it (`read_csv('/etc/passwd')`, `COPY … TO`, `ATTACH`, `INSTALL`).
   */
  allowedDirectories?: readonly string[];
  /** Outputs kept per block, newest first (`retention.outputs_keep_last`); past ones can still be previewed. Default 1. */
  keepOutputs?: number;
}

/**
 * Opens the workspace's DuckDB file with its settings and a metadata connection (the fan-out stage attached, file
 * access locked when asked); throws a UserError naming the file when another process holds it.
 */
export async function openWorkspaceDb(file: string, opts: WorkspaceOptions): Promise<{ instance: DuckDBInstance; meta: DuckDBConnection }> {
  await mkdir(path.dirname(file), { recursive: true });
  const config: Record<string, string> = {};
  if (opts.threads !== undefined) config.threads = String(opts.threads);
  if (opts.memoryLimit !== undefined) config.memory_limit = opts.memoryLimit;
  if (opts.spillDir !== undefined) config.temp_directory = opts.spillDir;
  // Off unless asked: loads and CREATE TABLE … AS run in parallel and in less memory (DuckDB's advice for
  // large loads). Outputs are then in no particular row order, as SQL promises anyway.
  config.preserve_insertion_order = String(opts.preserveInsertionOrder ?? false);
  // Peak memory of large loads, at no measurable CPU cost (measured on a 1.2M-row, 19-column month): a CREATE
  // TABLE … AS buffers this many row groups per thread before writing them out (default 5, ~90 MB per thread),
  // 1 keeps the peak ~80-100 MB lower; the allocator returns freed memory to the OS in the background and after
  // any task that peaked above 32 MB (default 128 MB), which trims the worst peaks by another ~50-100 MB.
  config.write_buffer_row_group_count = '1';
  config.allocator_background_threads = 'true';
  config.allocator_flush_threshold = '32MB';
  const instance = await DuckDBInstance.create(file, config).catch((error: unknown) => {
    throw lockedError(error, file) ?? error;
  });
  const meta = await instance.connect();
  // Before the configuration is locked (no ATTACH after): where fan-out children's rows wait to be recorded.
  await meta.run(`ATTACH ':memory:' AS ${quoteIdent(STAGE_DB)}`);
  if (opts.allowedDirectories)
    await lockFileAccess(meta, opts.allowedDirectories).catch((error: unknown) => {
      meta.closeSync();
      instance.closeSync();
      throw error;
    });
  return { instance, meta };
}

/**
 * Limits DuckDB's file access to `dirs` (each as a folder prefix, with a trailing separator so `/p` does not allow
 * `/p2`) and locks the configuration. DuckDB resolves symlinks before checking, so a link to /etc does not pass.
 */
export async function lockFileAccess(conn: DuckDBConnection, dirs: readonly string[]): Promise<void> {
  const folders = [...new Set(dirs.map((d) => path.resolve(d) + path.sep))];
  await conn.run(`SET allowed_directories = [${folders.map(quoteLiteral).join(', ')}]`);
  await conn.run('SET enable_external_access = false');
  await conn.run('SET lock_configuration = true');
}

/** DuckDB's lock conflict as a UserError naming the file (and the holder's PID when DuckDB says it). */
function lockedError(error: unknown, file: string): UserError | undefined {
  const message = error instanceof Error ? error.message : String(error);
  if (!/Could not set lock on file|Conflicting lock|used by another process/i.test(message)) return undefined;
  const pid = /\(PID (\d+)\)/.exec(message)?.[1];
  return new UserError(
    `the workspace ${file} is in use by another Pipewright process${pid ? ` (PID ${pid})` : ''}: ` +
      'close that app or `pipewright serve`, or run the pipeline through it',
    { file },
    { cause: error },
  );
}
