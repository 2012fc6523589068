import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { BigQuery } from '@google-cloud/bigquery';
import { OperationalError, UserError, type ErrorPlace } from '../model/errors.ts';
import type { BigQueryConnection } from '../model/connection-profile.ts';
import { createBigQueryClient } from '../cloud/bigquery-client.ts';
import { explainBigQueryError, jobFailureOf, startLoadJob, statusOf, waitForJob } from '../cloud/bigquery-jobs.ts';
import { datasetNameProblem, jobIdFrom } from '../cloud/bigquery-names.ts';
import type { HistoryBatch } from './history-csv.ts';
import type { HistoryTable } from './history-tables.ts';
import { writeParquetFile } from './parquet-destination.ts';

/**
 * History as BigQuery tables `<dataset>.runs`, `.block_runs`, `.logs`, appended by load jobs of Parquet files. The
 * tables' highest marks (a query) are the watermark. Each batch's job id is its mark range plus a nonce of this
 * attempt: a retried insert within the attempt follows its own job, while a later export (after a failed batch, or
 * after the tables were dropped) loads afresh instead of following an old job. A finished job is trusted only once
 * the table's watermark shows the batch arrived.
 */
export class BigQueryDestination {
  readonly label: string;

  private constructor(
    private readonly bigquery: BigQuery,
    private readonly dataset: string,
    private readonly project: string,
    private readonly location: string | undefined,
    private readonly place: ErrorPlace,
    connection: string,
  ) {
    this.label = `BigQuery ${connection}, dataset ${bigquery.projectId}.${dataset}`;
  }

  /** A client for the connection; the dataset is created on the first write. */
  static async open(
    conn: BigQueryConnection,
    dataset: string,
    project: { dir: string; name: string },
    place: ErrorPlace = {},
  ): Promise<BigQueryDestination> {
    const problem = datasetNameProblem(dataset);
    if (problem) throw new UserError(`dataset "${dataset}" would be refused by BigQuery: ${problem}`, { ...place, path: 'dataset' });
    const creds = conn.credentials;
    if (creds.kind === 'key') {
      throw new UserError(
        `connection ${conn.name} reads its key from ${creds.source}; the history export needs credentials: adc or { key_file: … }`,
        { ...place, path: 'connection' },
      );
    }
    const bigquery = await createBigQueryClient(
      {
        ...(conn.endpoint ? { endpoint: conn.endpoint } : {}),
        ...(conn.projectId ? { project_id: conn.projectId } : {}),
        ...(conn.location ? { location: conn.location } : {}),
        credentials: creds.kind === 'key_file' ? { key_file: creds.path } : creds.kind,
      },
      project.dir,
      place,
    );
    return new BigQueryDestination(bigquery, dataset, project.name, conn.location, place, conn.name);
  }

  /** The highest mark of this project in the table (0 when the dataset or table does not exist yet). */
  async watermark(table: HistoryTable): Promise<number> {
    try {
      const [exists] = await this.bigquery.dataset(this.dataset).table(table.name).exists();
      if (!exists) return 0;
      const project = this.project.replaceAll('\\', '\\\\').replaceAll("'", "\\'");
      const [rows] = await this.bigquery.query({
        query: `SELECT max(${table.mark}) AS mark FROM \`${this.dataset}.${table.name}\` WHERE project = '${project}'`,
        ...(this.location ? { location: this.location } : {}),
      });
      return Number((rows as { mark: unknown }[])[0]?.mark ?? 0);
    } catch (error) {
      throw explainBigQueryError(error, this.place);
    }
  }

  /** Appends the batch with one load job (WRITE_APPEND, created when missing), polled until done. */
  async write(batch: HistoryBatch, log: (message: string) => void): Promise<void> {
    const file = path.join(path.dirname(batch.file), `${batch.table.name}.parquet`);
    await writeParquetFile(batch, file);
    try {
      await this.ensureDataset();
      const table = this.bigquery.dataset(this.dataset).table(batch.table.name);
      const nonce = randomBytes(4).toString('hex');
      const jobId = jobIdFrom([
        'pipewright_history',
        this.project,
        this.dataset,
        batch.table.name,
        String(batch.after + 1),
        String(batch.upto),
        nonce,
      ]);
      const load = {
        destinationTable: { projectId: this.bigquery.projectId, datasetId: this.dataset, tableId: batch.table.name },
        sourceFormat: 'PARQUET',
        writeDisposition: 'WRITE_APPEND',
        createDisposition: 'CREATE_IF_NEEDED',
      };
      const job = await startLoadJob(this.bigquery, table, { jobId, location: this.location, load, localFile: file }, (_level, message) =>
        log(message),
      );
      const failure = jobFailureOf(jobId, await waitForJob(job, new AbortController().signal, () => undefined), this.place);
      if (failure) throw failure;
      const landed = await this.watermark(batch.table);
      if (landed < batch.upto) {
        throw new OperationalError(
          `BigQuery job ${jobId} finished, but ${this.dataset}.${batch.table.name} holds marks only up to ${landed} (expected ${batch.upto}): export again`,
          { place: this.place },
        );
      }
    } catch (error) {
      throw explainBigQueryError(error, this.place);
    }
  }

  /** Nothing to close: the client holds no connection. */
  async close(): Promise<void> {}

  private async ensureDataset(): Promise<void> {
    const [exists] = await this.bigquery.dataset(this.dataset).exists();
    if (exists) return;
    await this.bigquery.createDataset(this.dataset, this.location ? { location: this.location } : {}).catch((error: unknown) => {
      if (statusOf(error) !== 409) throw error; // created meanwhile: fine
    });
  }
}
