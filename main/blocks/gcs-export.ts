import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Bucket } from '@google-cloud/storage';
import { z } from 'zod';
import { CancelledError, UserError, type ErrorPlace } from '../model/errors.ts';
import type { BlockContext, BlockKind } from '../model/block-kind.ts';
import { createStorageClient, gcsSettingsSchema } from '../cloud/gcs-client.ts';
import { mergeCloudConnection } from '../connections/block-connection.ts';
import { bucketNameProblem, objectNameProblem } from '../cloud/gcs-names.ts';
import { extensionOf, partFileName, partitionFolders, writeExportFiles, type LocalPart } from '../cloud/gcs-export/export-files.ts';
import type { ExportPlan, PlanContext } from '../model/design-types.ts';
import {
  deleteIfUnchanged,
  explainGcsError,
  mapPooled,
  publishStaged,
  removeStaged,
  statusOf,
  uploadToStaging,
  type PlannedObject,
} from '../cloud/gcs-export/object-transfer.ts';
import { classifyForbidden, explainForbidden } from '../cloud/google-forbidden.ts';
import { formatBytes } from './http-download.ts';
import { withUtcTimestamps } from './parquet-timestamps.ts';
import type { ColumnInfo } from '../model/workspace-types.ts';
import { onlyUpstream } from './export-upstream.ts';
import { killPoint } from '../model/kill-point.ts';
import { StageLease } from '../cloud/gcs-export/stage-lease.ts';
import { sweepDeadStages } from '../cloud/gcs-export/stage-sweep.ts';

const MIB = 1024 * 1024;
/** Staged objects live outside every export prefix, so listings of a prefix never see them. */
export const STAGING_ROOT = '_pipewright_staging/';

const CONTENT_TYPES = { parquet: 'application/vnd.apache.parquet', csv: 'text/csv', jsonl: 'application/x-ndjson' } as const;

const configSchema = gcsSettingsSchema.extend({
  bucket: z.string().min(1),
  /** The object name (single file) or, with partition_by, the prefix the partition folders go under. */
  path: z.string().min(1),
  /** Hive-style folders `col=value/…` (names per partition-names.ts); these columns are left out of the files. */
  partition_by: z.array(z.string().min(1)).min(1).optional(),
  /** Parquet (columns typed for BigQuery loads), CSV with a header, or JSON lines. */
  format: z.enum(['parquet', 'csv', 'jsonl']).default('parquet'),
  /** Default: snappy for Parquet, none for CSV and JSON lines; snappy is Parquet-only. */
  compression: z.enum(['zstd', 'snappy', 'gzip', 'none']).optional(),
  /** replace: the prefix holds exactly this run's objects afterwards; append: add part files named after the run. */
  mode: z.enum(['replace', 'append']).default('replace'),
  /**
   * Parquet only: naive DuckDB timestamps written as UTC instants (`timestamp`, which BigQuery loads as TIMESTAMP)
   * or as they are (`datetime`, loaded as DATETIME), as the bigquery block's uploads do (parquet-timestamps.ts).
   */
  timestamps: z.enum(['timestamp', 'datetime']).default('timestamp'),
  /** Create the bucket when it does not exist (handy with the emulator). */
  create_bucket: z.boolean().default(false),
  upload: z
    .strictObject({
      parallelism: z.number().int().min(1).max(32).default(4),
      resumable_above_mb: z.number().min(0).default(8),
      /** Resumable chunk size; rounded down to a multiple of 256 KiB, as GCS requires. */
      chunk_size_mb: z.number().min(0.25).max(1024).default(8),
    })
    .default({ parallelism: 4, resumable_above_mb: 8, chunk_size_mb: 8 }),
});
type GcsExportConfig = z.infer<typeof configSchema>;

/** Writes the upstream output to GCS as Parquet, CSV or JSON lines (one object or hive partitions), staged then published. */
export const gcsExport: BlockKind<GcsExportConfig> = {
  type: 'export',
  kind: 'gcs',
  title: 'Google Cloud Storage (Parquet, CSV, JSON lines)',
  configSchema,
  code: 'none',
  async run(ctx, config) {
    const place: ErrorPlace = { block: ctx.block.id };
    // 1. Refuse bad names and settings before writing or uploading anything.
    checkConfig(config, place);
    const upstream = onlyUpstream(ctx);
    const described = await ctx.data.describe(upstream);
    checkPartitionColumns(
      config.partition_by ?? [],
      described.columns.map((c) => c.name),
      upstream,
      place,
    );
    const settings = await mergeCloudConnection(ctx, 'gcs', config, place);
    const storage = await createStorageClient(settings, ctx.project.dir, place);
    const bucket = storage.bucket(config.bucket);
    try {
      // 2. Write the files locally while checking the bucket and listing what is live: DuckDB writes off the event
      // loop, so the requests cost no time. Both finish before anything is uploaded.
      const [planned, existing] = await settleBoth(
        planObjects(ctx, config, upstream, described.columns),
        ensureBucket(bucket, config.create_bucket, settings.location, place).then(async () => {
          await sweepStaging(ctx, bucket, config.upload.parallelism);
          return listLive(bucket, config);
        }),
      );
      // 3. Stage every object under a lease (stage-lease.ts): until all are staged, nothing under the prefix changes.
      const lease = await StageLease.acquire(bucket, stageDirOf(ctx), { originRunId: ctx.originRunId, blockId: ctx.block.id }, (error) => {
        ctx.log('warn', `could not refresh the staging lease: ${error instanceof Error ? error.message : String(error)}`);
      });
      try {
        await stageAll(ctx, bucket, planned, config);
        killPoint(`gcs.${config.mode}.staged`);
        await lease.confirm();
        // 4. Publish each staged object (server-side copies), then 5. (replace) remove what this run did not write.
        const generations = await mapPooled(planned, config.upload.parallelism, ctx.signal, (o) =>
          publishStaged(bucket, o, existing.get(o.name) ?? '0'),
        );
        killPoint(`gcs.${config.mode}.published`);
        if (config.mode === 'replace') await removeStale(ctx, bucket, planned, existing, config.upload.parallelism);
        return report(ctx, config, planned, generations, described.rows);
      } finally {
        // 6. Staged copies go, whether or not the export succeeded; then the lease (left to expire if some remain).
        if (!(await removeStaging(ctx, bucket, planned, config.upload.parallelism))) lease.stop();
        else
          await lease
            .release()
            .catch((error: unknown) =>
              ctx.log(
                'warn',
                `could not remove the staging lease ${lease.name}: ${error instanceof Error ? error.message : String(error)}`,
              ),
            );
      }
    } catch (error) {
      // Cancelled while DuckDB wrote the files, its "Interrupted!" is the cancellation, not a GCS failure.
      if (ctx.signal.aborted) throw new CancelledError(`cancelled before gs://${config.bucket}/${config.path} was published`, place);
      throw explainGcsError(error, config.bucket, place, storage.projectId);
    }
  },
  planExport: planGcsExport,
};

/**
 * The dry run: the objects this export would write (named as writeExportFiles and planObjects name them, one part
 * per partition folder, with its rows) and, for replace, the live objects under the prefix it would remove.
 */
async function planGcsExport(ctx: PlanContext, config: GcsExportConfig): Promise<ExportPlan> {
  const place: ErrorPlace = { block: ctx.block.id };
  checkConfig(config, place);
  const partitionBy = config.partition_by ?? [];
  if (ctx.columns)
    checkPartitionColumns(
      partitionBy,
      ctx.columns.map((c) => c.name),
      ctx.upstream,
      place,
    );
  const extension = extensionOf(config.format, config.compression ?? (config.format === 'parquet' ? 'snappy' : 'none'));
  const tag = config.mode === 'append' ? '<run>' : undefined;
  const notes: string[] = [];
  const partitions =
    partitionBy.length > 0 && ctx.relation ? await partitionFolders((sql) => ctx.queryRows(sql), ctx.relation, partitionBy) : undefined;
  const write = !partitionBy.length
    ? [config.path]
    : partitions
      ? partitions.map((p) => objectNameOf(config, `${p.name}/${partFileName(tag, 0, extension)}`))
      : [objectNameOf(config, `${partitionBy.map((c) => `${c}=<value>`).join('/')}/${partFileName(tag, 0, extension)}`)];
  if (!ctx.relation) notes.push(`${ctx.upstream} has no stored output yet: rows and partitions are known after it runs`);
  const live = await listLiveForPlan(ctx, config, place, notes);
  const written = new Set(write);
  const remove = config.mode === 'replace' && live ? [...live.keys()].filter((name) => !written.has(name)) : [];
  if (live === undefined)
    notes.push(
      `the bucket ${config.bucket} does not exist${config.create_bucket ? ': it would be created' : ' (create_bucket is false: the export would fail)'}`,
    );
  return {
    blockId: ctx.block.id,
    kind: 'export/gcs',
    destination: `gs://${config.bucket}/${partitionBy.length ? folderOf(config) : config.path}`,
    mode: config.mode,
    ddl: [],
    ...(ctx.rows !== undefined ? { rows: ctx.rows } : {}),
    ...(partitions ? { partitions } : {}),
    objects: { write: write.map((n) => `gs://${config.bucket}/${n}`), remove: remove.map((n) => `gs://${config.bucket}/${n}`) },
    notes,
  };
}

/** Live objects under the export's prefix, or undefined when the bucket does not exist (read-only). */
async function listLiveForPlan(
  ctx: PlanContext,
  config: GcsExportConfig,
  place: ErrorPlace,
  notes: string[],
): Promise<Map<string, string> | undefined> {
  const settings = await mergeCloudConnection(ctx, 'gcs', config, place);
  const storage = await createStorageClient(settings, ctx.project.dir, place);
  const bucket = storage.bucket(config.bucket);
  try {
    const [exists] = await bucket.exists();
    return exists ? await listLive(bucket, config) : undefined;
  } catch (error) {
    notes.push(`could not list gs://${config.bucket}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
    return new Map();
  }
}

/** The object name of a part: `path` itself for a single object, else under the partition folders. */
function objectNameOf(config: GcsExportConfig, relativeName: string): string {
  return relativeName === '' ? config.path : folderOf(config) + relativeName;
}

/** Waits for both (so no work is left running behind an error), then rejects with the first failure. */
async function settleBoth<A, B>(a: Promise<A>, b: Promise<B>): Promise<[A, B]> {
  const [first, second] = await Promise.allSettled([a, b]);
  if (first.status === 'rejected') throw first.reason;
  if (second.status === 'rejected') throw second.reason;
  return [first.value, second.value];
}

function checkConfig(config: GcsExportConfig, place: ErrorPlace): void {
  const bucketProblem = bucketNameProblem(config.bucket);
  if (bucketProblem)
    throw new UserError(`bucket "${config.bucket}" would be refused by Google: ${bucketProblem}`, { ...place, path: 'config.bucket' });
  const nameProblem =
    objectNameProblem(config.path) ??
    (config.path.startsWith(STAGING_ROOT) ? `${STAGING_ROOT} is where exports stage their uploads` : undefined);
  if (nameProblem) throw new UserError(`path "${config.path}": ${nameProblem}`, { ...place, path: 'config.path' });
  if (config.format !== 'parquet' && config.compression === 'snappy') {
    throw new UserError(`snappy compression is for parquet; ${config.format} can use gzip, zstd or none`, {
      ...place,
      path: 'config.compression',
    });
  }
  if (!config.partition_by && config.mode === 'append') {
    throw new UserError('mode: append needs partition_by (a single object can only be replaced)', { ...place, path: 'config.mode' });
  }
  if (!config.partition_by && config.path.endsWith('/')) {
    throw new UserError(`path "${config.path}" ends with "/": without partition_by, path names one object such as exports/trips.parquet`, {
      ...place,
      path: 'config.path',
    });
  }
}

function checkPartitionColumns(partitionBy: string[], available: string[], upstream: string, place: ErrorPlace): void {
  const missing = partitionBy.filter((name) => !available.includes(name));
  if (missing.length > 0) {
    throw new UserError(`partition_by: ${missing.join(', ')} not in ${upstream}'s output; its columns are ${available.join(', ')}`, {
      ...place,
      path: 'config.partition_by',
    });
  }
  if (partitionBy.length > 0 && partitionBy.length === available.length) {
    throw new UserError('partition_by names every column: the Parquet files would have no columns left', {
      ...place,
      path: 'config.partition_by',
    });
  }
}

/**
 * Checks the bucket before anything is uploaded (which also proves the credentials), creating it when allowed.
 * A service account with object roles only has no storage.buckets.get: a 403 there is tolerated when an object
 * list works. A 409 on create is not "we made it": bucket names are global, so only an object list tells ours
 * from another project's (https://cloud.google.com/storage/docs/buckets#naming).
 */
async function ensureBucket(bucket: Bucket, create: boolean, location: string | undefined, place: ErrorPlace): Promise<void> {
  const where = { ...place, path: 'config.bucket' };
  let exists: boolean;
  try {
    [exists] = await bucket.exists();
  } catch (error) {
    if (statusOf(error) !== 403) throw error;
    if (await canListObjects(bucket)) return;
    // Invisible to us: if creating it answers 409, the name is someone else's.
    const created = create ? await createAnswers(bucket, location) : undefined;
    if (created === 200) return;
    if (created === 409) throw new UserError(takenMessage(bucket), where);
    throw new UserError(bucketForbidden(bucket, error), where);
  }
  if (exists) return;
  if (!create) throw new UserError(`bucket ${bucket.name} does not exist (create it, or set create_bucket: true)`, where);
  try {
    // The connection's location: BigQuery loads need the bucket and the dataset in the same one.
    await bucket.create(location ? { location } : {});
  } catch (error) {
    if (statusOf(error) !== 409) throw error;
    // Taken: by this project (another export of the run created it first) or by someone else.
    if (await canListObjects(bucket)) return;
    throw new UserError(takenMessage(bucket), where);
  }
}

function takenMessage(bucket: Bucket): string {
  return `bucket name ${bucket.name} is taken by another project (bucket names are global across Google Cloud): choose another name, such as one starting with your project id ({{ gcp_project }}-…)`;
}

/** The status a bucket create answers (200 when it made the bucket). */
async function createAnswers(bucket: Bucket, location: string | undefined): Promise<number | undefined> {
  try {
    await bucket.create(location ? { location } : {});
    return 200;
  } catch (error) {
    return statusOf(error);
  }
}

/** True when the credential may list the bucket's objects; false on 403/404 (not ours, or not allowed). */
export async function canListObjects(bucket: Bucket): Promise<boolean> {
  try {
    await bucket.getFiles({ maxResults: 1, autoPaginate: false });
    return true;
  } catch (error) {
    if (statusOf(error) === 403 || statusOf(error) === 404) return false;
    throw error;
  }
}

/** A 403 on a bucket in one sentence: API or billing off, or a name that is someone else's or not readable. */
export function bucketForbidden(bucket: Bucket, error: unknown): string {
  const kind = classifyForbidden(error).kind;
  const project = bucket.storage.projectId;
  if (kind === 'api-disabled' || kind === 'billing')
    return `bucket ${bucket.name}: ${explainForbidden(error, `bucket ${bucket.name}`, project)}`;
  return `bucket ${bucket.name} answered 403: the name may belong to another project (bucket names are global: choose another, such as {{ gcp_project }}-…), or the credential lacks storage.buckets.get and storage.objects.list on it (grant roles/storage.objectAdmin on the bucket)`;
}

/** The prefix partition folders go under: `path` with exactly one trailing `/`. */
function folderOf(config: GcsExportConfig): string {
  return config.path.replace(/\/+$/, '') + '/';
}

async function planObjects(ctx: BlockContext, config: GcsExportConfig, upstream: string, columns: ColumnInfo[]): Promise<PlannedObject[]> {
  const dir = path.join(ctx.tempDir, 'gcs-export');
  await mkdir(dir, { recursive: true });
  ctx.progress({ phase: `write ${config.format}`, done: 0, unit: 'items' });
  const parts = await writeExportFiles(ctx.data, {
    relation:
      config.format === 'parquet' && config.timestamps === 'timestamp'
        ? withUtcTimestamps(ctx.data.relation(upstream), columns, config.partition_by ?? [])
        : ctx.data.relation(upstream),
    partitionBy: config.partition_by ?? [],
    format: config.format,
    compression: config.compression ?? (config.format === 'parquet' ? 'snappy' : 'none'),
    dir,
    fileTag: config.mode === 'append' ? appendTag(ctx, upstream) : undefined,
  });
  const staging = stageDirOf(ctx);
  return parts.map((part: LocalPart) => {
    const name = objectNameOf(config, part.relativeName);
    // Partition folders are safe by construction, but many long values can still pass GCS's 1024-byte limit.
    const problem = objectNameProblem(staging + name);
    if (problem)
      throw new UserError(`cannot name the object for ${name.slice(0, 120)}…: ${problem}`, {
        block: ctx.block.id,
        path: 'config.partition_by',
      });
    return { ...part, name, stagingName: staging + name };
  });
}

/**
 * Part names of an append: the logical run (a resume's first run) and a hash of the upstream output read. A resume
 * after a kill reads the same output, so it rewrites the same objects instead of adding copies; if a newer run
 * replaced the output meanwhile, the names differ and nothing the first run published is overwritten.
 */
function appendTag(ctx: BlockContext, upstream: string): string {
  return `${runTag(ctx.originRunId)}-${createHash('sha256').update(ctx.data.outputIdentity(upstream)).digest('hex').slice(0, 8)}`;
}

/** This attempt's staging folder: one per run, block and attempt, so attempts never share staged names. */
function stageDirOf(ctx: BlockContext): string {
  return `${STAGING_ROOT}${runTag(ctx.runId)}/${ctx.block.id}/a${ctx.attempt}/`;
}

/** Removes dead exports' staged uploads (kills leave them); best effort, as they sit outside every export prefix. */
async function sweepStaging(ctx: BlockContext, bucket: Bucket, parallelism: number): Promise<void> {
  try {
    const self = { originRunId: ctx.originRunId, blockId: ctx.block.id, stageDir: stageDirOf(ctx) };
    const removed = await sweepDeadStages(bucket, STAGING_ROOT, self, parallelism);
    if (removed > 0)
      ctx.log(
        'info',
        `removed ${removed} staged upload${removed === 1 ? '' : 's'} left under gs://${bucket.name}/${STAGING_ROOT} by exports that were killed`,
      );
  } catch (error) {
    ctx.log('warn', `could not sweep gs://${bucket.name}/${STAGING_ROOT}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Object-name-safe run id (run ids are ours, but names must never carry `/` or `..`). */
function runTag(runId: string): string {
  return runId.replace(/[^A-Za-z0-9_-]/g, '_');
}

/** Live objects under the export's folder (or the single object), name → generation. */
async function listLive(bucket: Bucket, config: GcsExportConfig): Promise<Map<string, string>> {
  const live = new Map<string, string>();
  if (!config.partition_by) {
    const [exists] = await bucket.file(config.path).exists();
    if (exists) live.set(config.path, String((await bucket.file(config.path).getMetadata())[0].generation));
    return live;
  }
  const [files] = await bucket.getFiles({ prefix: folderOf(config) });
  for (const file of files) live.set(file.name, String(file.metadata.generation));
  return live;
}

async function stageAll(ctx: BlockContext, bucket: Bucket, planned: PlannedObject[], config: GcsExportConfig): Promise<void> {
  const total = planned.reduce((sum, o) => sum + o.bytes, 0);
  let done = 0;
  const chunkSize = Math.max(1, Math.floor((config.upload.chunk_size_mb * MIB) / (256 * 1024))) * 256 * 1024;
  await mapPooled(planned, config.upload.parallelism, ctx.signal, async (object) => {
    const tuning = { resumableAbove: config.upload.resumable_above_mb * MIB, chunkSize, contentType: CONTENT_TYPES[config.format] };
    await uploadToStaging(bucket, object, tuning);
    done += object.bytes;
    ctx.progress({ phase: 'upload', done, total, unit: 'bytes' });
  });
}

async function removeStale(
  ctx: BlockContext,
  bucket: Bucket,
  planned: PlannedObject[],
  existing: Map<string, string>,
  parallelism: number,
): Promise<void> {
  const written = new Set(planned.map((o) => o.name));
  const stale = [...existing].filter(([name]) => !written.has(name));
  await mapPooled(stale, parallelism, ctx.signal, ([name, generation]) => deleteIfUnchanged(bucket, name, generation));
  for (const [name] of stale) ctx.log('info', `removed gs://${bucket.name}/${name}: this run did not write it`);
}

/**
 * Best effort: leftovers are harmless (outside every prefix, never listed by an export) but cost storage; the next
 * export to the bucket sweeps them once the lease expires. Resolves to whether all staged objects are gone.
 */
async function removeStaging(ctx: BlockContext, bucket: Bucket, planned: PlannedObject[], parallelism: number): Promise<boolean> {
  const never = new AbortController().signal;
  try {
    await mapPooled(planned, parallelism, never, (o) => removeStaged(bucket, o));
    return true;
  } catch (error) {
    ctx.log(
      'warn',
      `could not remove staged uploads under gs://${bucket.name}/${STAGING_ROOT}: ${error instanceof Error ? error.message : String(error)}`,
    );
    return false;
  }
}

function report(ctx: BlockContext, config: GcsExportConfig, planned: PlannedObject[], generations: string[], rowsIn: number) {
  const rowsOut = planned.reduce((sum, o) => sum + o.rows, 0);
  const bytes = planned.reduce((sum, o) => sum + o.bytes, 0);
  planned.forEach((o, i) => {
    ctx.log(
      'info',
      `wrote gs://${config.bucket}/${o.name} (${o.bytes} bytes, ${o.rows} rows, crc32c ${o.crc32c}, md5 ${o.md5Hash}, generation ${generations[i]})`,
    );
  });
  const folders = new Set(planned.map((o) => path.posix.dirname(o.name))).size;
  const layout = config.partition_by ? `${planned.length} objects in ${folders} partition${folders === 1 ? '' : 's'}` : '1 object';
  ctx.log(
    'info',
    `exported ${rowsOut.toLocaleString('en-US')} rows to gs://${config.bucket}/${config.path} (${layout}, ${formatBytes(bytes)})`,
  );
  return { rowsIn, rowsOut, bytes, hasOutput: false };
}
