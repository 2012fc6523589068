import type { BigQuery, Job, Query } from '@google-cloud/bigquery';
import type { ErrorPlace } from '../model/errors.ts';
import { createBigQueryClient, type BigQueryClientSettings } from '../cloud/bigquery-client.ts';
import { explainBigQueryError, jobFailureOf, statusOf, waitForJob, type JobMetadata } from '../cloud/bigquery-jobs.ts';
import {
  WarehouseSqlError,
  type BuildOptions,
  type BuildStats,
  type Estimate,
  type TableRef,
  type Warehouse,
  type WarehouseColumnProfile,
  type WindowRequest,
  type WindowResult,
} from './warehouse.ts';
import { bigQueryProfileSql, readProfileRow } from './bigquery-profile.ts';
import { checkFilter, orderTerms } from './window-sql.ts';

interface QueryStatistics {
  statistics?: { totalBytesProcessed?: string; totalSlotMs?: string; query?: { totalBytesProcessed?: string; totalSlotMs?: string } };
}

const POLL_MS = 200;

/**
 * Push-down on BigQuery through the official client: dry runs for estimates, query jobs with a destination table
 * for builds (https://cloud.google.com/bigquery/docs/writing-results), a WRITE_TRUNCATE query job for the atomic
 * publish, tabledata.list pages for windows. `cancel()` cancels the job that runs (jobs.cancel).
 */
export class BigQueryWarehouse implements Warehouse {
  readonly engine = 'bigquery' as const;
  private running = new AbortController();

  private constructor(
    private readonly client: BigQuery,
    private readonly location: string | undefined,
    private readonly place: ErrorPlace,
  ) {}

  static async open(settings: BigQueryClientSettings, projectDir: string, place: ErrorPlace): Promise<Warehouse> {
    return new BigQueryWarehouse(await createBigQueryClient(settings, projectDir, place), settings.location, place);
  }

  sqlName(table: TableRef): string {
    return `\`${table.project ?? this.client.projectId}.${table.namespace}.${table.table}\``;
  }

  async estimate(sql: string): Promise<Estimate> {
    try {
      const [job] = await this.client.createQueryJob({ query: sql, dryRun: true, useLegacySql: false, ...this.where() });
      const stats = job.metadata as QueryStatistics;
      return { bytes: Number(stats.statistics?.totalBytesProcessed ?? stats.statistics?.query?.totalBytesProcessed ?? 0) };
    } catch (error) {
      throw this.sqlError(error, sql);
    }
  }

  async build(target: TableRef, sql: string, options: BuildOptions): Promise<BuildStats> {
    await this.ensureDataset(target.namespace);
    const metadata = await this.runJob(sql, { ...options, writeDisposition: 'WRITE_EMPTY', destination: target });
    const [table] = await this.table(target).getMetadata();
    const stats = (metadata as QueryStatistics).statistics;
    return {
      rows: Number((table as { numRows?: string }).numRows ?? 0),
      ...(options.jobId ? { jobId: options.jobId } : {}),
      bytesProcessed: Number(stats?.query?.totalBytesProcessed ?? stats?.totalBytesProcessed ?? 0),
      slotMs: Number(stats?.query?.totalSlotMs ?? stats?.totalSlotMs ?? 0),
    };
  }

  /**
   * A copy job with WRITE_TRUNCATE replaces the table atomically, keeps the built table's partitioning and clustering,
   * and bills no bytes (https://cloud.google.com/bigquery/docs/managing-tables#copy-table).
   */
  async publish(built: TableRef, published: TableRef, options: BuildOptions): Promise<void> {
    await this.copyJob(built, published, options, 'publish');
    await this.drop(built);
  }

  async copy(from: TableRef, to: TableRef, options: BuildOptions): Promise<void> {
    await this.copyJob(from, to, options, 'keep');
  }

  async exists(table: TableRef): Promise<boolean> {
    const [exists] = await this.table(table).exists();
    return exists;
  }

  /** A WRITE_TRUNCATE copy job (id: the build's, plus `_<suffix>`), followed when an earlier try of its insert got through. */
  private async copyJob(from: TableRef, to: TableRef, options: BuildOptions, suffix: string): Promise<void> {
    const jobId = options.jobId ? `${options.jobId}_${suffix}` : undefined;
    let job: Job;
    try {
      [job] = await this.table(from).createCopyJob(this.table(to), {
        writeDisposition: 'WRITE_TRUNCATE',
        ...(jobId ? { jobId } : {}),
        ...(options.labels ? { labels: options.labels } : {}),
      } as never);
    } catch (error) {
      if (statusOf(error) !== 409 || !jobId) throw explainBigQueryError(error, this.place);
      job = this.client.job(jobId, this.where()); // an earlier try of this insert reached BigQuery: follow it
    }
    const metadata = await waitForJob(job, this.running.signal, () => undefined, POLL_MS);
    const failure = jobFailureOf(job.id ?? '', metadata, this.place);
    if (failure) throw failure;
  }

  async listTables(namespace: string, prefix: string): Promise<string[]> {
    try {
      const [tables] = await this.client.dataset(namespace, this.where()).getTables();
      return tables.map((t) => t.id ?? '').filter((id) => id.startsWith(prefix));
    } catch (error) {
      if (statusOf(error) === 404) return []; // no dataset yet: nothing was left in it
      throw explainBigQueryError(error, this.place, `dataset ${namespace}`);
    }
  }

  /** numRows of tables.get (https://cloud.google.com/bigquery/docs/reference/rest/v2/tables#Table.FIELDS.num_rows); views have none. */
  async rowCount(table: TableRef): Promise<number | undefined> {
    const [meta] = await this.table(table).getMetadata();
    const { type, numRows } = meta as { type?: string; numRows?: string };
    return type === 'TABLE' && numRows !== undefined ? Number(numRows) : undefined;
  }

  async drop(table: TableRef): Promise<void> {
    await this.table(table).delete({ ignoreNotFound: true });
  }

  async queryRows(sql: string): Promise<Record<string, unknown>[]> {
    const metadata = await this.runJob(sql, {});
    const jobId = (metadata as { jobReference?: { jobId?: string } }).jobReference?.jobId ?? '';
    const [rows] = await this.client.job(jobId, this.where()).getQueryResults({ maxResults: 1000 });
    return rows as Record<string, unknown>[];
  }

  /** Unsorted, unfiltered windows are pages of tabledata.list (no query, no bytes billed); others a query's page. */
  async window(table: TableRef, request: WindowRequest): Promise<WindowResult> {
    const [meta] = await this.table(table).getMetadata();
    const fields = ((meta as { schema?: { fields?: { name: string; type: string }[] } }).schema?.fields ?? []).map((f) => ({
      name: f.name,
      type: f.type,
    }));
    const filter = checkFilter(request.filter);
    if (!filter && !request.orderBy?.length) {
      const [rows] = await this.table(table).getRows({
        startIndex: String(request.offset),
        maxResults: request.limit,
        wrapIntegers: false,
      } as never);
      return { columns: fields, rows: rows as Record<string, unknown>[], totalRows: Number((meta as { numRows?: string }).numRows ?? 0) };
    }
    const where = filter ? ` WHERE (\n${filter}\n)` : '';
    const order = orderTerms(request.orderBy ?? [], fields, (n) => `\`${n}\``);
    const from = `FROM ${this.sqlName(table)}${where}`;
    const [counted] = await this.queryRows(`SELECT count(*) AS n ${from}`);
    const rows = await this.queryRows(
      `SELECT * ${from}${order.length ? ` ORDER BY ${order.join(', ')}` : ''} LIMIT ${request.limit} OFFSET ${request.offset}`,
    );
    return { columns: fields, rows, totalRows: Number(counted?.n ?? 0) };
  }

  async profile(table: TableRef): Promise<WarehouseColumnProfile[]> {
    const [meta] = await this.table(table).getMetadata();
    const fields = ((meta as { schema?: { fields?: { name: string; type: string }[] } }).schema?.fields ?? []).map((f) => ({
      name: f.name,
      type: f.type,
    }));
    if (fields.length === 0) return [];
    const [row] = await this.queryRows(bigQueryProfileSql(this.sqlName(table), fields));
    return readProfileRow(fields, row ?? {});
  }

  async cancel(): Promise<void> {
    this.running.abort();
  }

  async close(): Promise<void> {
    this.running = new AbortController();
  }

  /** Starts a query job (following an earlier try of the same deterministic id) and waits for it; cancel cancels it. */
  private async runJob(sql: string, options: BuildOptions & { writeDisposition?: string; destination?: TableRef }): Promise<JobMetadata> {
    const query: Query = {
      query: sql,
      useLegacySql: false,
      ...this.where(),
      ...(options.destination
        ? {
            destination: this.table(options.destination),
            writeDisposition: options.writeDisposition,
            createDisposition: 'CREATE_IF_NEEDED',
          }
        : {}),
      ...(options.jobId ? { jobId: options.jobId } : {}),
      ...(options.labels ? { labels: options.labels } : {}),
      ...(options.maximumBytesBilled !== undefined ? { maximumBytesBilled: String(options.maximumBytesBilled) } : {}),
      ...(options.timeoutMs ? { jobTimeoutMs: String(options.timeoutMs) } : {}),
      ...(options.partitionBy ? { timePartitioning: { type: 'DAY', field: options.partitionBy } } : {}),
      ...(options.clusterBy ? { clustering: { fields: options.clusterBy } } : {}),
    } as Query;
    let job: Job;
    try {
      [job] = await this.client.createQueryJob(query);
    } catch (error) {
      if (statusOf(error) !== 409 || !options.jobId) throw this.sqlError(error, sql);
      job = this.client.job(options.jobId, this.where()); // an earlier try of this insert reached BigQuery: follow it
    }
    const metadata = await waitForJob(job, this.running.signal, () => undefined, POLL_MS);
    const failure = jobFailureOf(job.id ?? '', metadata, this.place);
    if (failure) throw this.sqlError(failure, sql);
    return metadata;
  }

  private async ensureDataset(id: string): Promise<void> {
    const dataset = this.client.dataset(id, this.where());
    const [exists] = await dataset.exists();
    if (!exists)
      await dataset.create(this.where()).catch((error: unknown) => {
        if (statusOf(error) !== 409) throw explainBigQueryError(error, this.place, `dataset ${id}`); // 409: created meanwhile
      });
  }

  private table(ref: TableRef) {
    return this.client.dataset(ref.namespace, { ...(ref.project ? { projectId: ref.project } : {}), ...this.where() }).table(ref.table);
  }

  private where(): { location?: string } {
    return this.location ? { location: this.location } : {};
  }

  /** BigQuery's invalidQuery says `… at [line:column]`: that place, as an index into the SQL sent. */
  private sqlError(error: unknown, sql: string): unknown {
    const message = error instanceof Error ? error.message : String(error);
    if (
      !/invalidQuery|Syntax error|Unrecognized name|not found inside|No matching signature|Not found: Table/i.test(message) &&
      statusOf(error) !== 400
    ) {
      return explainBigQueryError(error, this.place);
    }
    const at = /\[(\d+):(\d+)\]/.exec(message);
    return new WarehouseSqlError(`BigQuery: ${message}`, at ? indexOf(sql, Number(at[1]), Number(at[2])) : undefined, { cause: error });
  }
}

function indexOf(sql: string, line: number, column: number): number {
  const lines = sql.split('\n');
  return lines.slice(0, line - 1).reduce((sum, l) => sum + l.length + 1, 0) + column - 1;
}
