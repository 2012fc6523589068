import type { DatasetMeta, TableMeta } from './catalog.ts';

/** The dataset resource (datasets.get/insert). */
export function datasetResource(d: DatasetMeta): Record<string, unknown> {
  return {
    kind: 'bigquery#dataset',
    id: `${d.projectId}:${d.datasetId}`,
    datasetReference: { projectId: d.projectId, datasetId: d.datasetId },
    location: d.location,
    creationTime: String(d.created),
    lastModifiedTime: String(d.created),
    etag: `"${d.created.toString(36)}"`,
  };
}

/** The table resource (tables.get/insert); `tableReference.tableId` is what the client needs. */
export function tableResource(t: TableMeta, numRows: number, location: string, numBytes = 0): Record<string, unknown> {
  return {
    kind: 'bigquery#table',
    id: `${t.projectId}:${t.datasetId}.${t.tableId}`,
    tableReference: { projectId: t.projectId, datasetId: t.datasetId, tableId: t.tableId },
    schema: { fields: t.schema },
    numRows: String(numRows),
    numBytes: String(numBytes),
    creationTime: String(t.created),
    lastModifiedTime: String(t.modified),
    type: 'TABLE',
    location,
    etag: `"${t.modified.toString(36)}"`,
    ...(t.timePartitioning ? { timePartitioning: t.timePartitioning } : {}),
    ...(t.rangePartitioning ? { rangePartitioning: t.rangePartitioning } : {}),
    ...(t.clustering ? { clustering: t.clustering } : {}),
  };
}

/** An opaque page token for a row offset. */
export function pageTokenFor(offset: number): string {
  return Buffer.from(`offset:${offset}`).toString('base64url');
}

/** The row offset a page token (or `startIndex`) stands for. */
export function offsetOf(query: URLSearchParams): number {
  const token = query.get('pageToken');
  if (token) {
    const match = /^offset:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
    if (match) return Number(match[1]);
  }
  return Number(query.get('startIndex') ?? 0) || 0;
}
