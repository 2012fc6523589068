import { UserError, type ErrorPlace } from '../model/errors.ts';
import type { BlockContext } from '../model/block-kind.ts';
import type { WarehouseEngine } from '../model/block-engine.ts';
import type { BuildOptions, BuildStats, Estimate, TableRef } from './warehouse.ts';

/** Limits a pushed-down block may set in its config. */
export interface WarehouseLimits {
  /** BigQuery: the most bytes the block may process; default: pipewright.yaml's maximum_bytes_billed. */
  maximum_bytes_billed?: number | undefined;
  partition_by?: string | undefined;
  cluster_by?: string[] | undefined;
}

/**
 * What the warehouse is told about one attempt: the block timeout as statement_timeout / jobTimeoutMs, labels naming
 * pipeline, block and run, a job id that is the same for the same run, block and attempt (a retried HTTP request
 * cannot start a second job), and the bytes limit.
 */
export function buildOptionsFor(
  ctx: Pick<BlockContext, 'pipelineId' | 'runId' | 'attempt' | 'block' | 'project'>,
  engine: WarehouseEngine,
  config: WarehouseLimits,
  timeout: { seconds: number } | undefined,
): BuildOptions {
  const limit = config.maximum_bytes_billed ?? ctx.project.settings.maximum_bytes_billed;
  return {
    ...(timeout ? { timeoutMs: timeout.seconds * 1000 } : {}),
    ...(engine === 'bigquery'
      ? {
          labels: { pipeline: labelValue(ctx.pipelineId), block: labelValue(ctx.block.id), run: labelValue(ctx.runId) },
          jobId: jobIdPart(`pw_${ctx.pipelineId}_${ctx.block.id}_${ctx.runId}_${ctx.attempt}`),
        }
      : {}),
    ...(limit !== undefined ? { maximumBytesBilled: limit } : {}),
    ...(config.partition_by ? { partitionBy: config.partition_by } : {}),
    ...(config.cluster_by ? { clusterBy: config.cluster_by } : {}),
  };
}

/** Refuses a block whose estimate exceeds its bytes limit, before anything runs, saying both figures. */
export function checkBytesLimit(estimate: Estimate, options: BuildOptions, place: ErrorPlace): void {
  if (estimate.bytes === undefined || options.maximumBytesBilled === undefined || estimate.bytes <= options.maximumBytesBilled) return;
  throw new UserError(
    `the dry run estimates ${formatBytes(estimate.bytes)} processed, over maximum_bytes_billed ${formatBytes(options.maximumBytesBilled)}: not run. Narrow the query (partition filter, fewer columns) or raise maximum_bytes_billed`,
    { ...place, path: 'config.maximum_bytes_billed' },
  );
}

export function describeEstimate(engine: WarehouseEngine, estimate: Estimate): string {
  if (engine === 'bigquery') return `dry run: ${formatBytes(estimate.bytes ?? 0)} to process`;
  return `EXPLAIN: cost ${(estimate.cost ?? 0).toFixed(2)}, about ${(estimate.rows ?? 0).toLocaleString('en-US')} rows`;
}

export function describeBuild(engine: WarehouseEngine, table: TableRef, stats: BuildStats): string {
  const job = stats.jobId ? `job ${stats.jobId}: ` : '';
  const cost = stats.bytesProcessed !== undefined ? `, ${formatBytes(stats.bytesProcessed)} processed, ${stats.slotMs ?? 0} slot ms` : '';
  return `${job}built ${engine} table ${table.namespace}.${table.table} (${stats.rows.toLocaleString('en-US')} rows${cost})`;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** BigQuery label values: lowercase letters, digits, _ and -, at most 63 characters. */
function labelValue(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '_')
    .slice(0, 63);
}

/** BigQuery job ids: letters, digits, _ and -, at most 1024 characters. */
function jobIdPart(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 1024);
}
