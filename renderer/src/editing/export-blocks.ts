import type { PipelineEdit } from '../../../main/api/contract-views.ts';
import type { PipelineView } from '../api/views.ts';
import { uniqueBlockId, type KindInfo } from './block-factory.ts';
import { defaultBucketName } from './bucket-name.ts';

/** One editable part of an export's destination, as the export dialog shows it. */
export interface DestinationField {
  key: string;
  label: string;
  kind: 'text' | 'checkbox';
  /** Shown when empty; an empty optional field is left out of the config. */
  placeholder?: string;
  isOptional?: boolean;
}

/** A one-click export destination, offered when its block kind is registered. */
export interface ExportTarget {
  kind: string;
  label: string;
  /** pipewright.yaml's default_connections key that prefills `connection`, and the connection types it takes. */
  connectionType: string | null;
  /** What the dialog lets the user change before the export runs. */
  fields: DestinationField[];
  /** The new block's config for exporting block `blockId` of project `projectName` (the dialog's starting values). */
  config(blockId: string, connection: string | undefined, projectName: string): Record<string, unknown>;
  /** Where the data went, for the result line. */
  destination(config: Record<string, unknown>): string;
}

const withConnection = (connection: string | undefined) => (connection ? { connection } : {});
const text = (key: string, label: string, extra: Partial<DestinationField> = {}): DestinationField => ({
  key,
  label,
  kind: 'text',
  ...extra,
});

const TARGETS: ExportTarget[] = [
  {
    kind: 'postgres',
    label: 'Postgres',
    connectionType: 'postgres',
    fields: [text('schema', 'Schema', { isOptional: true, placeholder: "the connection's (public)" }), text('table', 'Table')],
    config: (blockId, connection) => ({ ...withConnection(connection), table: blockId }),
    destination: (c) =>
      `table ${c.schema ? `${String(c.schema)}.` : ''}${String(c.table)}${c.connection ? ` on ${String(c.connection)}` : ''}`,
  },
  {
    kind: 'gcs',
    label: 'GCS',
    connectionType: 'gcs',
    fields: [
      text('bucket', 'Bucket'),
      text('path', 'Path in the bucket'),
      { key: 'create_bucket', label: 'Create the bucket if it does not exist', kind: 'checkbox' },
    ],
    // Created when missing: on a fresh project (or the local emulator) there is no bucket yet. Bucket names are global:
    // one named after the project has a chance on real GCS, where a fixed name is surely taken.
    config: (blockId, connection, projectName) => ({
      ...withConnection(connection),
      bucket: defaultBucketName(projectName),
      path: `${blockId}.parquet`,
      create_bucket: true,
    }),
    destination: (c) => `gs://${String(c.bucket)}/${String(c.path)}`,
  },
  {
    kind: 'bigquery',
    label: 'BigQuery',
    connectionType: 'bigquery',
    fields: [text('dataset', 'Dataset'), text('table', 'Table')],
    config: (blockId, connection) => ({ ...withConnection(connection), dataset: 'pipewright_exports', table: blockId }),
    destination: (c) => `BigQuery table ${String(c.dataset ?? '')}${c.dataset ? '.' : ''}${String(c.table)}`,
  },
  {
    kind: 'local_file',
    label: 'file',
    connectionType: null,
    fields: [text('path', 'Path (relative to the project)')],
    config: (blockId) => ({ path: `exports/${blockId}.parquet`, format: 'parquet' }),
    destination: (c) => String(c.path),
  },
];

/** The export targets whose kinds are registered, in menu order. */
export function availableExportTargets(kinds: readonly KindInfo[]): ExportTarget[] {
  return TARGETS.filter((t) => kinds.some((k) => k.type === 'export' && k.kind === t.kind));
}

/** The config the dialog starts from: the target's, with the project's default connection for its type. */
export function startingConfig(
  target: ExportTarget,
  blockId: string,
  defaults: Record<string, string>,
  projectName: string,
): Record<string, unknown> {
  return target.config(blockId, target.connectionType ? defaults[target.connectionType] : undefined, projectName);
}

/** A local file export writes Parquet or CSV by the path's extension. */
function withFormat(target: ExportTarget, config: Record<string, unknown>): Record<string, unknown> {
  if (target.kind !== 'local_file') return config;
  return { ...config, format: /\.csv$/i.test(String(config.path ?? '')) ? 'csv' : 'parquet' };
}

/** The `addBlock` edit exporting `blockId` with the dialog's `config`, placed at `position`. */
export function exportEdit(
  view: PipelineView,
  blockId: string,
  target: ExportTarget,
  config: Record<string, unknown>,
  position: { x: number; y: number },
): { edit: PipelineEdit; exportId: string } {
  const exportId = uniqueBlockId(
    `${blockId}_to_${target.kind}`,
    view.blocks.map((b) => b.id),
  );
  const block = { id: exportId, type: 'export' as const, kind: target.kind, upstream: [blockId], config: withFormat(target, config) };
  return { exportId, edit: { op: 'addBlock', block, position } };
}
