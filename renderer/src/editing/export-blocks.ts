import type { PipelineEdit } from '../../../main/project/pipeline-edits.ts';
import type { PipelineView } from '../api/views.ts';
import { uniqueBlockId, type KindInfo } from './block-factory.ts';

/** A one-click export destination, offered when its block kind is registered. */
export interface ExportTarget {
  kind: string;
  label: string;
  /** pipewright.yaml's default_connections key that prefills `connection`. */
  connectionType: string | null;
  /** The new block's config for exporting block `blockId`. */
  config(blockId: string, connection: string | undefined): Record<string, unknown>;
  /** Where the data went, for the result line. */
  destination(config: Record<string, unknown>): string;
}

const withConnection = (connection: string | undefined) => (connection ? { connection } : {});

const TARGETS: ExportTarget[] = [
  {
    kind: 'postgres',
    label: 'Postgres',
    connectionType: 'postgres',
    config: (blockId, connection) => ({ ...withConnection(connection), table: blockId }),
    destination: (c) => `table ${c.schema ? `${String(c.schema)}.` : ''}${String(c.table)}${c.connection ? ` on ${String(c.connection)}` : ''}`,
  },
  {
    kind: 'gcs',
    label: 'GCS',
    connectionType: 'gcs',
    config: (blockId, connection) => ({ ...withConnection(connection), bucket: 'pipewright-exports', path: `${blockId}.parquet` }),
    destination: (c) => `gs://${String(c.bucket)}/${String(c.path)}`,
  },
  {
    kind: 'bigquery',
    label: 'BigQuery',
    connectionType: 'bigquery',
    config: (blockId, connection) => ({ ...withConnection(connection), dataset: 'pipewright_exports', table: blockId }),
    destination: (c) => `BigQuery table ${String(c.dataset ?? '')}${c.dataset ? '.' : ''}${String(c.table)}`,
  },
  {
    kind: 'local_file',
    label: 'file',
    connectionType: null,
    config: (blockId) => ({ path: `exports/${blockId}.parquet`, format: 'parquet' }),
    destination: (c) => String(c.path),
  },
];

/** The export targets whose kinds are registered, in menu order. */
export function availableExportTargets(kinds: readonly KindInfo[]): ExportTarget[] {
  return TARGETS.filter((t) => kinds.some((k) => k.type === 'export' && k.kind === t.kind));
}

/** The `addBlock` edit for exporting `blockId` to `target`, prefilled from the project's default connection. */
export function exportEdit(view: PipelineView, blockId: string, target: ExportTarget, defaults: Record<string, string>, position: { x: number; y: number }): { edit: PipelineEdit; exportId: string } {
  const exportId = uniqueBlockId(`${blockId}_to_${target.kind}`, view.blocks.map((b) => b.id));
  const connection = target.connectionType ? defaults[target.connectionType] : undefined;
  const config = target.config(blockId, connection);
  return { exportId, edit: { op: 'addBlock', block: { id: exportId, type: 'export', kind: target.kind, upstream: [blockId], config }, position } };
}
