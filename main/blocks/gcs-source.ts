import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Bucket, File } from '@google-cloud/storage';
import { z } from 'zod';
import { UserError, type ErrorPlace } from '../model/errors.ts';
import type { BlockKind } from '../model/block-kind.ts';
import { quoteLiteral } from '../data/sql-names.ts';
import { createStorageClient, gcsSettingsSchema } from '../cloud/gcs-client.ts';
import { mergeCloudConnection } from '../connections/block-connection.ts';
import { bucketNameProblem } from '../cloud/gcs-names.ts';
import { explainGcsError, mapPooled } from '../cloud/gcs-export/object-transfer.ts';
import { STAGING_ROOT } from './gcs-export.ts';
import { formatBytes } from './http-download.ts';

const configSchema = gcsSettingsSchema.extend({
  bucket: z.string().min(1),
  /** One object, a folder (every object under it), or a glob: `*` and `?` stay within a folder, `**` crosses them. */
  path: z.string().min(1),
  /** Default: from the first object's extension (.parquet, .csv[.gz], .json/.jsonl/.ndjson). */
  format: z.enum(['parquet', 'csv', 'json']).optional(),
  /** `col=value` folders become columns (values percent-decoded, NULL for `__HIVE_DEFAULT_PARTITION__`). */
  hive_partitioning: z.boolean().default(true),
  parallelism: z.number().int().min(1).max(32).default(4),
});
type GcsSourceConfig = z.infer<typeof configSchema>;

/** Reads Parquet, CSV or JSON objects from GCS (by name, folder or glob) into the block's output. */
export const gcsSource: BlockKind<GcsSourceConfig> = {
  type: 'source',
  kind: 'gcs',
  title: 'Google Cloud Storage (Parquet, CSV, JSON)',
  configSchema,
  code: 'none',
  async run(ctx, config) {
    const place: ErrorPlace = { block: ctx.block.id };
    const bucketProblem = bucketNameProblem(config.bucket);
    if (bucketProblem)
      throw new UserError(`bucket "${config.bucket}" would be refused by Google: ${bucketProblem}`, { ...place, path: 'config.bucket' });
    const settings = await mergeCloudConnection(ctx, 'gcs', config, place);
    const bucket = (await createStorageClient(settings, ctx.project.dir, place)).bucket(config.bucket);
    let files: string[];
    let bytes = 0;
    try {
      // 1. Find the objects; 2. download them (validated by the client) into the attempt's temp folder.
      const objects = await matchingObjects(bucket, config.path);
      if (objects.length === 0)
        throw new UserError(`no objects match gs://${config.bucket}/${config.path}`, { ...place, path: 'config.path' });
      const dir = path.join(ctx.tempDir, 'gcs-source');
      files = await mapPooled(objects, config.parallelism, ctx.signal, async (object) => {
        const target = await localPathFor(dir, object.name, place);
        await object.download({ destination: target });
        bytes += (await stat(target)).size;
        ctx.progress({ phase: 'download', done: bytes, unit: 'bytes' });
        return target;
      });
    } catch (error) {
      throw explainGcsError(error, config.bucket, place);
    }
    // 3. Let DuckDB read them, with hive folders as columns.
    const format = config.format ?? formatOf(files[0]!, place);
    const rowsOut = await ctx.data.writeOutputFromQuery(`SELECT * FROM ${readerSql(format, files, config.hive_partitioning)}`);
    ctx.log(
      'info',
      `read ${rowsOut.toLocaleString('en-US')} rows from ${files.length} object${files.length === 1 ? '' : 's'} in gs://${config.bucket}/${config.path} (${formatBytes(bytes)})`,
    );
    return { rowsOut, bytes, hasOutput: true };
  },
};

/** The objects `pattern` names: itself, everything under it as a folder, or the matches of a glob. */
async function matchingObjects(bucket: Bucket, pattern: string): Promise<File[]> {
  const globAt = pattern.search(/[*?]/);
  const prefix = globAt < 0 ? pattern : pattern.slice(0, globAt);
  const [listed] = await bucket.getFiles({ prefix });
  const usable = listed.filter((f) => !f.name.endsWith('/') && !f.name.startsWith(STAGING_ROOT));
  if (globAt >= 0) {
    const regex = globToRegex(pattern);
    return usable.filter((f) => regex.test(f.name));
  }
  const exact = usable.filter((f) => f.name === pattern);
  if (exact.length > 0) return exact;
  const folder = pattern.replace(/\/+$/, '') + '/';
  return usable.filter((f) => f.name.startsWith(folder));
}

/** `**` matches across folders, `*` and `?` within one; everything else literally. */
export function globToRegex(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i]!;
    if (char === '*' && glob[i + 1] === '*') {
      out += '.*';
      i++;
    } else if (char === '*') {
      out += '[^/]*';
    } else if (char === '?') {
      out += '[^/]';
    } else {
      out += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${out}$`);
}

/** Where an object is saved under `dir` (its folder created); names that would leave `dir` are refused. */
async function localPathFor(dir: string, name: string, place: ErrorPlace): Promise<string> {
  const target = path.resolve(dir, ...name.split('/'));
  if (!target.startsWith(path.resolve(dir) + path.sep) || name.split('/').some((p) => p === '..' || p === '.')) {
    throw new UserError(`object ${name} has "." or ".." in its name and cannot be read safely`, { ...place, path: 'config.path' });
  }
  await mkdir(path.dirname(target), { recursive: true });
  return target;
}

function formatOf(file: string, place: ErrorPlace): 'parquet' | 'csv' | 'json' {
  if (/\.parquet$/i.test(file)) return 'parquet';
  if (/\.(csv|tsv)(\.(gz|zst))?$/i.test(file)) return 'csv';
  if (/\.(json|jsonl|ndjson)(\.(gz|zst))?$/i.test(file)) return 'json';
  throw new UserError(`cannot tell the format of ${path.basename(file)}: set format to parquet, csv or json`, {
    ...place,
    path: 'config.format',
  });
}

function readerSql(format: 'parquet' | 'csv' | 'json', files: string[], hive: boolean): string {
  const list = `[${files.map(quoteLiteral).join(', ')}]`;
  const options = `hive_partitioning = ${hive}, union_by_name = true`;
  if (format === 'parquet') return `read_parquet(${list}, ${options})`;
  if (format === 'csv') return `read_csv(${list}, ${options})`;
  return `read_json_auto(${list}, ${options})`;
}
