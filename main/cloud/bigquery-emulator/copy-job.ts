import type { DuckDBConnection } from '@duckdb/node-api';
import { JobFailure, tableKey, type Catalog, type TableMeta } from './catalog.ts';
import type { QueryJob } from './query-common.ts';
import {
  checkDispositions,
  dropStage,
  publishStage,
  requireDataset,
  stageQuery,
  tableLabel,
  type Destination,
} from './query-destination.ts';
import { describeType } from './schema.ts';
import { qualifiedName } from './sql.ts';
import { tableStats, totalBytes } from './table-stats.ts';

/** What a finished copy reports in `statistics.copy`. */
export interface CopyResult {
  copiedRows: number;
  copiedLogicalBytes: number;
}

/**
 * A copy job (https://cloud.google.com/bigquery/docs/reference/rest/v2/Job#JobConfigurationTableCopy): the source
 * table (or `sourceTables`, which must share a schema) into the destination per `writeDisposition` (WRITE_EMPTY by
 * default) and `createDisposition`, published in one transaction like a query's destination. A new table takes the
 * first source's schema, partitioning and clustering. Only `operationType` COPY is supported.
 */
export async function runCopy(conn: DuckDBConnection, catalog: Catalog, copy: Record<string, unknown>, job: QueryJob): Promise<CopyResult> {
  const operation = String(copy.operationType ?? 'COPY');
  if (operation !== 'COPY') throw new JobFailure('invalid', `operationType ${operation} is not supported by the emulator (COPY only)`);
  const refs = (Array.isArray(copy.sourceTables) ? copy.sourceTables : [copy.sourceTable]) as (Partial<Destination> | undefined)[];
  const sources = refs.map((ref) => sourceOf(catalog, ref, job.projectId));
  if (sources.length === 0) throw new JobFailure('invalid', 'configuration.copy needs sourceTable or sourceTables');
  const first = sources[0]!;
  for (const other of sources.slice(1)) {
    if (describeSchema(other) !== describeSchema(first))
      throw new JobFailure('invalid', `Source tables must have the same schema: ${first.tableId} and ${other.tableId} differ`);
  }
  const ref = copy.destinationTable as Partial<Destination> | undefined;
  if (!ref?.datasetId || !ref.tableId) throw new JobFailure('invalid', 'configuration.copy.destinationTable needs datasetId and tableId');
  const dest = requireDataset(catalog, { projectId: ref.projectId ?? job.projectId, datasetId: ref.datasetId, tableId: ref.tableId });
  const mode = await checkDispositions(conn, catalog, dest, copy);
  const select = sources.map((s) => `SELECT * FROM ${qualifiedName(s.datasetId, s.tableId)}`).join(' UNION ALL ');
  const staged = await stageQuery(conn, dest, select, job.jobId);
  try {
    const layout = {
      ...(first.timePartitioning ? { timePartitioning: first.timePartitioning } : {}),
      ...(first.rangePartitioning ? { rangePartitioning: first.rangePartitioning } : {}),
      ...(first.clustering ? { clustering: first.clustering } : {}),
    };
    const existing = catalog.tables.get(tableKey(dest.datasetId, dest.tableId));
    await publishStage(conn, catalog, {
      dest,
      staged: { ...staged, schema: first.schema },
      mode: mode === 'append' ? 'append' : 'replace',
      ...(existing ? {} : { layout }),
      beforeCommit: () => job.signal.throwIfAborted(),
    });
  } finally {
    await dropStage(conn, dest, staged.stage);
  }
  let bytes = 0;
  for (const source of sources) bytes += totalBytes(await tableStats(conn, source));
  return { copiedRows: staged.rows, copiedLogicalBytes: bytes };
}

function sourceOf(catalog: Catalog, ref: Partial<Destination> | undefined, projectId: string): TableMeta {
  if (!ref?.datasetId || !ref.tableId) throw new JobFailure('invalid', 'each copy source needs datasetId and tableId');
  const found = catalog.tables.get(tableKey(ref.datasetId, ref.tableId));
  if (!found)
    throw new JobFailure(
      'notFound',
      `Not found: Table ${tableLabel({ projectId: ref.projectId ?? projectId, datasetId: ref.datasetId, tableId: ref.tableId })}`,
    );
  return found;
}

function describeSchema(table: TableMeta): string {
  return table.schema.map((f) => `${f.name.toLowerCase()} ${describeType(f)}`).join(', ');
}
