import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type pg from 'pg';
import type { ErrorPlace } from '../model/errors.ts';
import type { PostgresConnection } from '../model/connection-profile.ts';
import { connectPostgres, explainPostgresError } from '../postgres/pg-connect.ts';
import { loadTable } from '../postgres/load-table.ts';
import { qualifiedName, quoteIdent } from '../data/sql-names.ts';
import type { HistoryBatch } from './history-csv.ts';
import type { HistoryTable } from './history-tables.ts';

/**
 * History as Postgres tables `<schema>.runs`, `.block_runs`, `.logs`, loaded with COPY through the export path
 * (main/postgres/load-table.ts) as upserts on their keys: the tables' highest marks are the watermark, and a batch
 * loaded twice (an export interrupted after COMMIT) replaces its rows instead of duplicating them.
 */
export class PostgresDestination {
  readonly label: string;
  private constructor(
    private readonly client: pg.Client,
    private readonly conn: PostgresConnection,
    private readonly schema: string,
    private readonly project: string,
    private readonly place: ErrorPlace,
  ) {
    this.label = `Postgres ${conn.name} (${conn.label}), schema ${schema}`;
  }

  /** Connects; failures say who must act (credentials, host, privileges). */
  static async open(conn: PostgresConnection, schema: string, project: string, place: ErrorPlace = {}): Promise<PostgresDestination> {
    return new PostgresDestination(await connectPostgres(conn, place), conn, schema, project, place);
  }

  /** The highest mark of this project in the table (0 when the table does not exist yet). */
  async watermark(table: HistoryTable): Promise<number> {
    try {
      const exists = await this.client.query('SELECT to_regclass($1) AS oid', [qualifiedName(this.schema, table.name)]);
      if (exists.rows[0]?.oid === null) return 0;
      const result = await this.client.query<{ mark: string | null }>(
        `SELECT max(${quoteIdent(table.mark)})::text AS mark FROM ${qualifiedName(this.schema, table.name)} WHERE project = $1`,
        [this.project],
      );
      return Number(result.rows[0]?.mark ?? 0);
    } catch (error) {
      throw explainPostgresError(error, this.conn, this.place);
    }
  }

  /** Upserts the batch in one transaction (COPY into staging, then INSERT … ON CONFLICT). */
  async write(batch: HistoryBatch, log: (message: string) => void): Promise<void> {
    const columns = batch.table.columns.map((c) => ({
      name: c.name,
      duckType: c.duckType,
      pgType: c.pgType,
      selectExpr: quoteIdent(c.name),
    }));
    try {
      await loadTable(this.client, {
        schema: this.schema,
        table: batch.table.name,
        columns,
        mode: 'upsert',
        key: batch.table.key,
        expectedRows: batch.rows,
        csv: { stream: createReadStream(batch.file), totalBytes: (await stat(batch.file)).size },
        onSchemaChange: 'add_columns',
        place: this.place,
        log,
        onBytes: () => undefined,
      });
    } catch (error) {
      throw explainPostgresError(error, this.conn, this.place);
    }
  }

  /** Closes the connection. */
  async close(): Promise<void> {
    await this.client.end().catch(() => undefined); // a dead connection has nothing left to close
  }
}
