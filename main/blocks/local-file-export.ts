import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { OperationalError, UserError, type ErrorPlace } from '../model/errors.ts';
import type { BlockContext, BlockKind, FileStage, StageContext } from '../model/block-kind.ts';
import { quoteIdent, quoteLiteral } from '../data/sql-names.ts';
import { formatBytes } from './http-download.ts';
import type { ExportPlan, PlanContext } from '../model/design-types.ts';
import { onlyUpstream } from './export-upstream.ts';
import { checkAllowedPath } from '../project/allowed-paths.ts';
import { CONNECTIONS_FILE, PROJECT_FILE } from '../project/load-project.ts';
import { appendPartitions, appendStem } from './local-file-append.ts';

const configSchema = z.strictObject({
  /** A file (or, with partition_by, a folder), relative to the project folder or absolute. */
  path: z.string().min(1),
  /** Default: from the extension (.csv, .csv.gz → csv), else parquet. */
  format: z.enum(['parquet', 'csv']).optional(),
  /** Hive-style folders `col=value/…`, one per distinct value; the columns live in the folder names. */
  partition_by: z.array(z.string().min(1)).min(1).optional(),
  /** Default: DuckDB's (snappy) for parquet; from the extension (.gz, .zst) or none for CSV. */
  compression: z.enum(['zstd', 'snappy', 'gzip', 'none']).optional(),
  /** Replace an existing output; when false, an existing output is an error. */
  overwrite: z.boolean().default(true),
  /**
   * replace: the output is this run's rows. append (partition_by only): this run's files are added to the partitions,
   * earlier runs' kept — a monthly backfill accumulates; a retry or resume of a run replaces its own files only.
   */
  mode: z.enum(['replace', 'append']).default('replace'),
});
type LocalExportConfig = z.infer<typeof configSchema>;

/** Writes the upstream block's output to a Parquet or CSV file (or partitioned folder), replacing the old one atomically. */
export const localFileExport: BlockKind<LocalExportConfig> = {
  type: 'export',
  kind: 'local_file',
  title: 'Local file (Parquet, CSV)',
  configSchema,
  code: 'none',
  async run(ctx, config) {
    const place: ErrorPlace = { block: ctx.block.id };
    const upstream = onlyUpstream(ctx);
    const target = checkedTarget(ctx, config.path);
    checkAppend(config, place);
    await checkReplaceable(target, config.path, place);
    const format = formatOf(config, target);
    const stem = config.mode === 'append' ? appendStem(ctx.originRunId, ctx.block.id) : undefined;
    const options = copyOptions(format, target, config, stem);
    const described = await ctx.data.describe(upstream);
    checkPartitionColumns(
      config.partition_by ?? [],
      described.columns.map((c) => c.name),
      upstream,
      place,
    );
    if (!config.overwrite && (await exists(target))) {
      throw new UserError(`${config.path} already exists and overwrite is false`, { ...place, path: 'config.overwrite' });
    }
    let rowsOut = 0;
    let appendedTo = 0;
    const writeTo = async (tmp: string) => {
      const [result] = await ctx.data.queryRows(`COPY (SELECT * FROM ${ctx.data.relation(upstream)}) TO ${quoteLiteral(tmp)} (${options})`);
      rowsOut = Number(result?.Count ?? described.rows);
    };
    // The upstream SQL block wrote these files as it ran (BlockContext.fileSink); gone when an earlier attempt of this
    // export already moved them, and then written again from the upstream's output, which reads the same files.
    const staged = !stem && ctx.stagedFiles && (await exists(ctx.stagedFiles.path)) ? ctx.stagedFiles : undefined;
    try {
      await mkdir(path.dirname(target), { recursive: true });
      // Staging of this run swept the leftovers already.
      if (!staged) await sweepStaging(target, ctx);
      if (stem) appendedTo = (await appendPartitions(target, stem, writeTo)).partitionsWritten;
      else if (staged) {
        await replaceAtomically(target, async () => undefined, staged.path);
        rowsOut = staged.rows;
      } else await replaceAtomically(target, writeTo, temporarySibling(target, ctx.runId));
    } catch (error) {
      throw explainWriteError(error, config.path, place);
    }
    const { bytes, partitions } = await measureOutput(target);
    const parts = config.partition_by ? `, ${partitions} partition${partitions === 1 ? '' : 's'}` : '';
    const verb = stem
      ? `appended ${rowsOut.toLocaleString('en-US')} rows (${appendedTo} partitions) to`
      : staged
        ? `put in place the ${rowsOut.toLocaleString('en-US')} rows ${staged.by} wrote as it ran:`
        : `wrote ${rowsOut.toLocaleString('en-US')} rows to`;
    ctx.log('info', `${verb} ${config.path} (${format}${parts}, ${formatBytes(bytes)})`);
    return { rowsIn: described.rows, rowsOut, bytes, hasOutput: false };
  },
  stageFiles: stageLocalFiles,
  planExport: planLocalFileExport,
};

/**
 * Where an upstream SQL block may write this export's Parquet as it runs (BlockContext.fileSink): a temp sibling of
 * the target, as the export's own write uses. Not for appends, CSV, or a target this export would refuse (run() then
 * says why).
 */
async function stageLocalFiles(ctx: StageContext, config: LocalExportConfig): Promise<FileStage | undefined> {
  if (config.mode === 'append') return undefined;
  try {
    const target = checkedTarget(ctx, config.path);
    const format = formatOf(config, target);
    if (format !== 'parquet') return undefined;
    await checkReplaceable(target, config.path, { block: ctx.block.id });
    if (!config.overwrite && (await exists(target))) return undefined;
    await mkdir(path.dirname(target), { recursive: true });
    await sweepStaging(target, ctx);
    return {
      path: temporarySibling(target, ctx.runId),
      copyOptions: copyOptions(format, target, config),
      format,
      partitionBy: config.partition_by ?? [],
      display: config.path,
    };
  } catch (error) {
    if (error instanceof UserError) return undefined; // the export's own run reports it, naming the block
    throw error;
  }
}

/** The dry run: the file or partition folders DuckDB's COPY would write, with their rows, and what it would replace. */
async function planLocalFileExport(ctx: PlanContext, config: LocalExportConfig): Promise<ExportPlan> {
  const place: ErrorPlace = { block: ctx.block.id };
  const target = checkedTarget(ctx, config.path);
  checkAppend(config, place);
  await checkReplaceable(target, config.path, place);
  const format = formatOf(config, target);
  const isAppend = config.mode === 'append';
  const partitionBy = config.partition_by ?? [];
  if (ctx.columns)
    checkPartitionColumns(
      partitionBy,
      ctx.columns.map((c) => c.name),
      ctx.upstream,
      place,
    );
  const notes: string[] = [];
  if (!ctx.relation) notes.push(`${ctx.upstream} has no stored output yet: rows and partitions are known after it runs`);
  // DuckDB names hive folders `col=value` from the value's text, and the files in each data_0.<format>.
  const partitions =
    partitionBy.length > 0 && ctx.relation
      ? (
          await ctx.queryRows(
            `SELECT ${partitionBy.map((c) => `${quoteLiteral(`${c}=`)} || coalesce(CAST(${quoteIdent(c)} AS VARCHAR), 'NULL')`).join(` || '/' || `)} AS name, count(*)::BIGINT AS n
     FROM ${ctx.relation} GROUP BY ALL ORDER BY name`,
          )
        ).map((r) => ({ name: String(r.name), rows: Number(r.n) }))
      : undefined;
  const existing = await exists(target);
  if (existing && !config.overwrite) notes.push(`${config.path} exists and overwrite is false: the export would fail`);
  const write =
    partitionBy.length === 0
      ? [config.path]
      : (partitions ?? [{ name: partitionBy.map((c) => `${c}=<value>`).join('/') }]).map(
          (p) => `${config.path}/${p.name}/${isAppend ? 'data_<run>_0' : 'data_0'}.${format}`,
        );
  return {
    blockId: ctx.block.id,
    kind: 'export/local_file',
    destination: config.path,
    mode: isAppend ? 'append (earlier runs’ files kept)' : config.overwrite ? 'replace' : 'fail if exists',
    ddl: [],
    ...(ctx.rows !== undefined ? { rows: ctx.rows } : {}),
    ...(partitions ? { partitions } : {}),
    objects: {
      write,
      remove: existing && !isAppend ? [`${config.path}${partitionBy.length ? '/' : ''} (the previous output, swapped out)`] : [],
    },
    notes,
  };
}

/** Project files and folders an export must never replace. */
const PROJECT_OWN = [PROJECT_FILE, CONNECTIONS_FILE, 'pipelines', 'blocks'];

/**
 * The absolute target. Refuses paths outside the project (unless allowed_paths lists them) and paths whose
 * replacement would move the project, its state or its pipeline and block files aside.
 */
function checkedTarget(ctx: Pick<BlockContext, 'project' | 'block'>, written: string): string {
  const place = { block: ctx.block.id, path: 'config.path' };
  checkAllowedPath(ctx.project, written, place, 'write');
  const target = path.resolve(ctx.project.dir, written);
  const contains = (outer: string, inner: string) => inner === outer || inner.startsWith(outer + path.sep);
  const own = PROJECT_OWN.map((name) => path.join(ctx.project.dir, name));
  if (contains(target, ctx.project.dir) || contains(ctx.project.stateDir, target) || own.some((o) => contains(o, target))) {
    throw new UserError(
      `${written} would replace the project folder, its .pipewright state or its pipeline and block files: choose a path such as output/<name>`,
      place,
    );
  }
  return target;
}

/**
 * Replacing a folder deletes everything in it: only a folder an earlier export wrote may be replaced. Those hold
 * nothing but DuckDB's Hive-style `key=value/…/data_N.<ext>` files; checking that, rather than writing a marker
 * file, keeps the output folder exactly what readers expect.
 */
async function checkReplaceable(target: string, written: string, place: ErrorPlace): Promise<void> {
  const info = await lstat(target).catch((error: NodeJS.ErrnoException) => {
    // Missing, or under a file (ENOTDIR): nothing to replace; creating the folders reports the latter.
    if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
    throw error;
  });
  if (!info?.isDirectory() || (await isExportFolder(target))) return;
  throw new UserError(
    `${written} is a folder Pipewright did not create: exporting there would delete what it holds; choose another path, or empty or remove the folder first`,
    { ...place, path: 'config.path' },
  );
}

async function isExportFolder(folder: string): Promise<boolean> {
  const entries = await readdir(folder, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => !e.isDirectory());
  return (
    files.length > 0 &&
    files.every((e) => {
      const parts = path.relative(folder, path.join(e.parentPath, e.name)).split(path.sep);
      return (
        e.isFile() &&
        /^data_([0-9a-f]{12}_)?\d+\.[a-z.]+$/.test(parts.at(-1) ?? '') &&
        parts.slice(0, -1).every((dir) => /^[^=]+=/.test(dir)) &&
        parts.length > 1
      );
    })
  );
}

/** The configured format, else the target's extension's (.csv, .csv.gz, .csv.zst → csv), else parquet. */
function formatOf(config: LocalExportConfig, target: string): 'parquet' | 'csv' {
  return config.format ?? (/\.csv(\.(gz|zst))?$/i.test(target) ? 'csv' : 'parquet');
}

/** The options of DuckDB's COPY … TO for this export. */
function copyOptions(format: 'parquet' | 'csv', target: string, config: LocalExportConfig, stem?: string): string {
  const options = [`FORMAT ${format}`];
  const compression =
    config.compression ?? (format === 'csv' ? (/\.gz$/i.test(target) ? 'gzip' : /\.zst$/i.test(target) ? 'zstd' : 'none') : undefined);
  if (format === 'csv' && compression === 'snappy') {
    throw new UserError('snappy compression is for parquet; CSV can use gzip, zstd or none', { path: 'config.compression' });
  }
  if (compression !== undefined)
    options.push(`COMPRESSION ${quoteLiteral(format === 'parquet' && compression === 'none' ? 'uncompressed' : compression)}`);
  if (format === 'csv') options.push('HEADER true');
  if (config.partition_by) options.push(`PARTITION_BY (${config.partition_by.map(quoteIdent).join(', ')})`);
  if (stem) options.push(`FILENAME_PATTERN ${quoteLiteral(`${stem}_{i}`)}`);
  return options.join(', ');
}

/** Appending adds files to partition folders: a single file has none, and `overwrite: false` says the opposite. */
function checkAppend(config: LocalExportConfig, place: ErrorPlace): void {
  if (config.mode !== 'append') return;
  if (!config.partition_by) {
    throw new UserError('mode: append needs partition_by (a single Parquet or CSV file cannot be appended to); or use mode: replace', {
      ...place,
      path: 'config.mode',
    });
  }
  if (!config.overwrite) {
    throw new UserError('overwrite: false refuses an existing output and mode: append adds to it: keep one of them', {
      ...place,
      path: 'config.overwrite',
    });
  }
}

function checkPartitionColumns(partitionBy: string[], available: string[], upstream: string, place: ErrorPlace): void {
  const missing = partitionBy.filter((name) => !available.includes(name));
  if (missing.length === 0) return;
  throw new UserError(`partition_by: ${missing.join(', ')} not in ${upstream}'s output; its columns are ${available.join(', ')}`, {
    ...place,
    path: 'config.partition_by',
  });
}

/**
 * Writes through `write(tmp)` into a temp sibling of `target`, then swaps it in (old output renamed aside, new one
 * renamed in, old one removed). If writing or swapping fails, the previous output stays where it was and the temp
 * path is removed.
 */
export async function replaceAtomically(
  target: string,
  write: (tmp: string) => Promise<void>,
  tmp = temporarySibling(target),
): Promise<void> {
  const aside = `${target}.pw-old-${randomBytes(4).toString('hex')}`;
  let isAside = false;
  try {
    await write(tmp);
    if (await exists(target)) {
      await rename(target, aside);
      isAside = true;
    }
    await rename(tmp, target);
  } catch (error) {
    if (isAside) await rename(aside, target);
    await rm(tmp, { recursive: true, force: true });
    throw error;
  }
  if (isAside) await rm(aside, { recursive: true, force: true });
}

/** A path beside `target` for writing its replacement before the swap; with the run's id, swept once that run is over. */
function temporarySibling(target: string, runId?: string): string {
  return `${target}.pw-tmp-${runId === undefined ? '' : `${runId}-`}${randomBytes(4).toString('hex')}`;
}

/**
 * Removes what runs that are over left beside `target` (killed while writing, or before their export moved staged
 * files in); a run still in flight, or a name without a run, is left alone.
 */
async function sweepStaging(target: string, ctx: Pick<BlockContext, 'settledRunIds'>): Promise<void> {
  const settled = ctx.settledRunIds ? new Set(ctx.settledRunIds()) : undefined;
  if (!settled || settled.size === 0) return;
  const prefix = `${path.basename(target)}.pw-tmp-`;
  const names = await readdir(path.dirname(target)).catch(() => [] as string[]); // no folder yet: nothing left there
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const runId = name.slice(prefix.length).replace(/-[0-9a-f]{8}$/, '');
    if (settled.has(runId)) await rm(path.join(path.dirname(target), name), { recursive: true, force: true });
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** Total bytes under `target` (a file or a folder), and the number of folders holding files (partitions). */
async function measureOutput(target: string): Promise<{ bytes: number; partitions: number }> {
  const info = await lstat(target);
  if (!info.isDirectory()) return { bytes: info.size, partitions: 1 };
  let bytes = 0;
  const leafDirs = new Set<string>();
  for (const entry of await readdir(target, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    bytes += (await lstat(path.join(entry.parentPath, entry.name))).size;
    leafDirs.add(entry.parentPath);
  }
  return { bytes, partitions: leafDirs.size };
}

const FS_PROBLEMS: [string, RegExp | undefined, string][] = [
  ['EACCES', /Permission denied/i, 'permission denied'],
  ['EPERM', /Operation not permitted/i, 'operation not permitted'],
  ['EROFS', /Read-only file system/i, 'the file system is read-only'],
  ['ENOTDIR', /Not a directory/i, 'a part of the path is a file, not a folder'],
  // mkdir -p says EEXIST when a part of the path exists as a file.
  ['EEXIST', undefined, 'a part of the path is a file, not a folder'],
  ['EISDIR', /Is a directory/i, 'a folder is in the way'],
  ['ENAMETOOLONG', /File name too long/i, 'a file or folder name is too long (a long partition value?)'],
  ['ENOSPC', /No space left on device/i, 'no space left on the device'],
  ['EDQUOT', /Disk quota exceeded/i, 'the disk quota is exceeded'],
];

/** File-system failures become errors that name the path: the user's to fix, except a full disk (the world's). */
function explainWriteError(error: unknown, written: string, place: ErrorPlace): unknown {
  if (error instanceof UserError && error.place.path !== undefined) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const problem = FS_PROBLEMS.find(([c, pattern]) => c === code || pattern?.test(message));
  if (!problem) return error;
  const text = `cannot write ${written}: ${problem[2]}`;
  const where = { ...place, path: 'config.path' };
  if (problem[0] === 'ENOSPC' || problem[0] === 'EDQUOT') return new OperationalError(text, { place: where, cause: error });
  return new UserError(text, where, { cause: error });
}
