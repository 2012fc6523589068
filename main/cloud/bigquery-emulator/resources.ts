import { GoogleHttpError } from '../http-util.ts';
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

/** The row offset a page token (or `startIndex`) stands for; a token the emulator did not issue is refused. */
export function offsetOf(query: URLSearchParams): number {
  const token = query.get('pageToken');
  if (token) {
    const match = /^offset:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
    if (!match) throw new GoogleHttpError(400, 'invalid', `Invalid page token: ${token}`);
    return Number(match[1]);
  }
  const start = query.get('startIndex') ?? '0';
  if (!/^\d+$/.test(start)) throw new GoogleHttpError(400, 'invalid', `Invalid startIndex: ${start} (a row number from 0)`);
  return Number(start);
}
