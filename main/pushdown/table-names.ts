import { createHash } from 'node:crypto';
import { UserError, type ErrorPlace } from '../model/errors.ts';
import type { LoadedBlock } from '../model/project.ts';
import { renderConfig } from '../model/templating.ts';
import type { TableRef } from './warehouse.ts';

/** Postgres truncates names past 63 bytes; BigQuery allows more, but one rule keeps both readable. */
const MAX_NAME = 63;

/** Where a pushed-down block's published table lives, from its config: `dataset`/`schema` (default: the pipeline id) and `table` (default: the block id). */
export interface OutputNaming {
  dataset?: string | undefined;
  schema?: string | undefined;
  table?: string | undefined;
}

/** The table a pushed-down block publishes (what downstream blocks, previews and profiles read). */
export function publishedTable(block: Pick<LoadedBlock, 'id' | 'engine'>, pipelineId: string, naming: OutputNaming): TableRef {
  const namespace = (block.engine === 'bigquery' ? naming.dataset : naming.schema) ?? pipelineId;
  return { namespace, table: naming.table ?? block.id };
}

/** Every run-scoped table starts with this; the sweep (sweep-run-tables.ts) looks only at such tables. */
export const RUN_TABLE_PREFIX = '_pw_run_';

/** Ten hex digits naming a run in its run-scoped tables: the sweep finds the run back by hashing the store's run ids. */
export function runTag(runId: string): string {
  return createHash('sha256').update(runId).digest('hex').slice(0, 10);
}

/**
 * The run-scoped table one attempt builds before publishing: `_pw_run_<run tag>_<attempt>_<table>`, so concurrent
 * runs and retries never write the same table, and a leftover says which run of the history left it.
 */
export function runScopedTable(published: TableRef, runId: string, attempt: number): TableRef {
  const prefix = `${RUN_TABLE_PREFIX}${runTag(runId)}_${attempt}_`;
  return { ...published, table: prefix + published.table.slice(0, MAX_NAME - prefix.length) };
}

/**
 * The copy of a block's output its run keeps for the run's downstream warehouse blocks (attempt 0 in the name): they
 * read it instead of the published table, which another run of the pipeline may replace meanwhile. Dropped when
 * the run ends; a killed run's copy goes with the sweep.
 */
export function runCopyTable(published: TableRef, runId: string): TableRef {
  return runScopedTable(published, runId, 0);
}

/** The run tag of a run-scoped table's name, or undefined for any other table. */
export function runTagOf(table: string): string | undefined {
  return /^_pw_run_([0-9a-f]{10})_\d+_/.exec(table)?.[1];
}

/** `project.dataset.table` / `dataset.table` (BigQuery) or `schema.table` (Postgres), as a table source names one. */
export function parseTableName(text: string, engine: 'bigquery' | 'postgres', place: ErrorPlace): TableRef {
  const parts = text.replaceAll('`', '').split('.');
  if (engine === 'postgres' && parts.length === 2) return { namespace: parts[0]!, table: parts[1]! };
  if (engine === 'bigquery' && parts.length === 2) return { namespace: parts[0]!, table: parts[1]! };
  if (engine === 'bigquery' && parts.length === 3) return { project: parts[0]!, namespace: parts[1]!, table: parts[2]! };
  const shape = engine === 'bigquery' ? 'project.dataset.table or dataset.table' : 'schema.table';
  throw new UserError(`table ${JSON.stringify(text)} is not ${shape}`, { ...place, path: 'config.table' });
}

/**
 * The warehouse table behind an upstream block a pushed-down block reads: another pushed-down block's published
 * table, a table source's table, or the table a BigQuery/Postgres export writes. Config templates are rendered with
 * the run's variables, as the upstream block itself renders them; `defaultSchema` is the Postgres connection's.
 */
export function upstreamTable(
  up: LoadedBlock,
  pipelineId: string,
  variables: Record<string, unknown>,
  place: ErrorPlace,
  defaultSchema?: string,
): TableRef {
  const config = renderConfig(up.config, variables) as Record<string, unknown>;
  const text = (key: string) => (typeof config[key] === 'string' ? config[key] : undefined);
  if (up.type === 'transform')
    return publishedTable(up, pipelineId, { dataset: text('dataset'), schema: text('schema'), table: text('table') });
  if (up.type === 'source' && up.kind === 'table')
    return parseTableName(text('table') ?? '', up.engine === 'bigquery' ? 'bigquery' : 'postgres', place);
  if (up.type === 'export' && up.kind === 'bigquery') return { namespace: text('dataset') ?? '', table: text('table') ?? '' };
  // As the export itself does: its schema, else the connection's, else public.
  if (up.type === 'export' && up.kind === 'postgres')
    return { namespace: text('schema') ?? defaultSchema ?? 'public', table: text('table') ?? '' };
  throw new UserError(`block ${place.block ?? '?'} cannot read ${up.id} in the warehouse: it keeps no table there`, place);
}
