import { Bool, Float64, Table, Utf8, tableToIPC, vectorFromArray, type Vector } from 'apache-arrow';
import { UserError } from '../model/errors.ts';
import type { LoadedBlock, Pipeline, Project } from '../model/project.ts';
import type { ColumnProfile, PreviewResult, PreviewWindow } from '../model/workspace-types.ts';
import { MAX_WINDOW_ROWS } from '../data/preview.ts';
import { resolveRunVariables } from '../engine/run-variables.ts';
import { resolveConnection } from '../connections/resolve-connection.ts';
import { outputEngineOf } from '../model/block-engine.ts';
import { openWarehouse } from '../pushdown/open-warehouse.ts';
import { upstreamTable } from '../pushdown/table-names.ts';
import { WarehouseSqlError, type TableRef, type Warehouse } from '../pushdown/warehouse.ts';

const NUMERIC = /^(INT64|INTEGER|FLOAT64|FLOAT|NUMERIC|BIGNUMERIC|smallint|integer|bigint|real|double precision|numeric.*)$/i;
const BOOLEAN = /^(BOOL|BOOLEAN)$/i;

/** The warehouse table a block's preview reads, or undefined when its output is local (or it has none). */
function warehouseBlock(pipeline: Pipeline | undefined, blockId: string): LoadedBlock | undefined {
  const block = pipeline?.blocks.find((b) => b.id === blockId);
  if (!block || block.type === 'export') return undefined;
  const engine = outputEngineOf(block);
  return engine === 'bigquery' || engine === 'postgres' ? block : undefined;
}

/** Runs `work` on the block's warehouse and table; undefined for local blocks. */
async function onTable<T>(
  project: Project,
  pipeline: Pipeline | undefined,
  blockId: string,
  work: (warehouse: Warehouse, table: TableRef) => Promise<T>,
): Promise<T | undefined> {
  const block = warehouseBlock(pipeline, blockId);
  if (!block || !pipeline) return undefined;
  const place = { block: block.id };
  const variables = resolveRunVariables(pipeline, {}, { runId: 'preview', pipelineId: pipeline.id, executionDate: new Date() });
  const ctx = { project, connection: (name: string) => resolveConnection(project, name) };
  const warehouse = await openWarehouse(ctx, block.engine as 'bigquery' | 'postgres', block.connection, place);
  try {
    return await work(warehouse, upstreamTable(block, pipeline.id, variables, place, warehouse.defaultNamespace));
  } catch (error) {
    // The filter is the only SQL of the user's in a preview: the warehouse's complaint is about it.
    if (error instanceof WarehouseSqlError) throw new UserError(error.message, { path: 'filter' }, { cause: error });
    throw error;
  } finally {
    await warehouse.close();
  }
}

/**
 * A window of a pushed-down block's published table, read in its warehouse (sort and filter run there; only the
 * window crosses the network), as the same Arrow IPC reply a local preview gives. Undefined for local blocks.
 */
export async function previewWarehouseBlock(
  project: Project,
  pipeline: Pipeline | undefined,
  blockId: string,
  window: PreviewWindow,
): Promise<PreviewResult | undefined> {
  if (!Number.isSafeInteger(window.limit) || window.limit < 1 || window.limit > MAX_WINDOW_ROWS) {
    throw new UserError(`the window limit must be a whole number from 1 to ${MAX_WINDOW_ROWS}, not ${window.limit}`, {
      path: 'window.limit',
    });
  }
  return onTable(project, pipeline, blockId, async (warehouse, table) => {
    const result = await warehouse.window(table, window);
    const vectors: Record<string, Vector> = {};
    for (const column of result.columns)
      vectors[column.name] = toVector(
        column.type,
        result.rows.map((r) => r[column.name]),
      );
    return { columns: result.columns, totalRows: result.totalRows, offset: window.offset, ipc: tableToIPC(new Table(vectors), 'stream') };
  });
}

/** Nulls, distinct counts, min and max of a pushed-down block's table, from one aggregate query; no histograms. */
export async function profileWarehouseBlock(
  project: Project,
  pipeline: Pipeline | undefined,
  blockId: string,
): Promise<ColumnProfile[] | undefined> {
  return onTable(project, pipeline, blockId, async (warehouse, table) =>
    (await warehouse.profile(table)).map((c) => ({ ...c, histogram: [] })),
  );
}

/** Numbers and booleans keep their type; every other value (dates, numerics as text, records) shows as text. */
function toVector(type: string, values: unknown[]): Vector {
  if (NUMERIC.test(type))
    return vectorFromArray(
      values.map((v) => (v === null || v === undefined ? null : Number(plain(v)))),
      new Float64(),
    );
  if (BOOLEAN.test(type))
    return vectorFromArray(
      values.map((v) => (v === null || v === undefined ? null : Boolean(v))),
      new Bool(),
    );
  return vectorFromArray(
    values.map((v) => (v === null || v === undefined ? null : textOf(v))),
    new Utf8(),
  );
}

/** BigQuery's client wraps dates, times and big numbers as `{ value }`. */
function plain(value: unknown): unknown {
  return value !== null && typeof value === 'object' && 'value' in value ? (value as { value: unknown }).value : value;
}

function textOf(value: unknown): string {
  const inner = plain(value);
  if (inner instanceof Date) return inner.toISOString();
  if (typeof inner === 'string') return inner;
  if (Buffer.isBuffer(inner)) return inner.toString('hex');
  return typeof inner === 'object' ? JSON.stringify(inner) : String(inner);
}
