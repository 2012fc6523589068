import type { ColumnInfo } from '../model/workspace-types.ts';
import type { BlockContext } from '../model/block-kind.ts';
import type { LoadedBlock } from '../model/project.ts';

/** One line of a block's checklist. `fail` stops a run before it writes; `warn` and `skip` do not. */
export interface CheckItem {
  name: string;
  status: 'ok' | 'warn' | 'fail' | 'skip';
  detail: string;
}

export interface BlockCheck {
  blockId: string;
  kind: string;
  items: CheckItem[];
}

/** What `pipewright check` and `pipelines.check` answer. */
export interface PreflightReport {
  pipelineId: string;
  isOk: boolean;
  blocks: BlockCheck[];
}

/** What a block's check may use: the project, its connections, the run's variables and upstream outputs' columns. */
export interface CheckEnv extends Pick<BlockContext, 'project' | 'connection'> {
  pipelineId: string;
  variables: Record<string, unknown>;
  block: LoadedBlock;
  /** Columns of an upstream's latest output; undefined when it has not run yet. */
  upstreamColumns(blockId: string): Promise<ColumnInfo[] | undefined>;
  /** Another block of the pipeline, its config rendered with the variables. */
  blockConfig(blockId: string): { kind: string; config: unknown } | undefined;
}

export const ok = (name: string, detail: string): CheckItem => ({ name, status: 'ok', detail });
export const fail = (name: string, detail: string): CheckItem => ({ name, status: 'fail', detail });
export const warn = (name: string, detail: string): CheckItem => ({ name, status: 'warn', detail });
export const skip = (name: string, detail: string): CheckItem => ({ name, status: 'skip', detail });

/** The HTTP status of a client error, if any. */
export function statusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : undefined;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Network failures say nothing about the configuration: a warning, not a stop (the run retries them). */
export function isUnreachable(error: unknown): boolean {
  return /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EHOSTUNREACH|ECONNRESET|EAI_AGAIN|socket hang up/i.test(
    `${messageOf(error)} ${String((error as { code?: unknown })?.code ?? '')}`,
  );
}
