import type { PipelineEdit } from '../../../main/api/contract-views.ts';
import { outputEngineOf } from '../../../main/model/block-engine.ts';
import type { PipelineView } from '../api/views.ts';
import { uniqueBlockId } from './block-factory.ts';

type ViewBlock = PipelineView['blocks'][number];

/** The warehouse table a block's data lives in, as SQL of that warehouse names it; undefined for local blocks. */
export function warehouseTableOf(view: PipelineView, block: ViewBlock): { engine: 'bigquery' | 'postgres'; table: string } | undefined {
  const engine = outputEngineOf(block);
  if (engine !== 'bigquery' && engine !== 'postgres') return undefined;
  const c = block.config as Record<string, string | undefined>;
  if (block.type === 'source') return c.table ? { engine, table: c.table } : undefined;
  if (block.type === 'export') return { engine, table: `${(engine === 'bigquery' ? c.dataset : c.schema) ?? 'public'}.${c.table ?? ''}` };
  const namespace = (engine === 'bigquery' ? c.dataset : c.schema) ?? view.id;
  return { engine, table: `${namespace}.${c.table ?? block.id}` };
}

/**
 * "Bring local": a BigQuery or Postgres source that reads the block's warehouse table into DuckDB, placed after it
 * (its edge only orders it). The one explicit way data comes back from a warehouse.
 */
export function bringLocalEdit(
  view: PipelineView,
  blockId: string,
  position: { x: number; y: number },
): { edit: PipelineEdit; sourceId: string } | undefined {
  const block = view.blocks.find((b) => b.id === blockId);
  const located = block ? warehouseTableOf(view, block) : undefined;
  if (!block || !located) return undefined;
  const sourceId = uniqueBlockId(
    `${blockId}_local`,
    view.blocks.map((b) => b.id),
  );
  const table = located.engine === 'bigquery' ? `\`${located.table}\`` : located.table;
  const connection = block.type === 'export' ? (block.config as { connection?: string }).connection : block.connection;
  const config = { ...(connection ? { connection } : {}), query: `select * from ${table}` };
  return {
    sourceId,
    edit: { op: 'addBlock', block: { id: sourceId, type: 'source', kind: located.engine, upstream: [blockId], config }, position },
  };
}
