import pg from 'pg';
import { UserError, type ErrorPlace } from '../model/errors.ts';
import type { PostgresConnection } from '../model/connection-profile.ts';
import { connectPostgres, explainPostgresError } from '../postgres/pg-connect.ts';
import { ensureSchema } from '../postgres/table-sql.ts';
import { qualifiedName, quoteIdent } from '../data/sql-names.ts';
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
import { checkFilter, orderTerms } from './window-sql.ts';

/** SQLSTATE classes about the statement or its data: the user must fix the SQL (42 syntax/names, 22 data, 23 constraints). */
const USER_SQL_CLASSES = ['42', '22', '23', '2B', '0A'];
/** query_canceled: pg_cancel_backend or statement_timeout. */
const CANCELED = '57014';
/** Tables up to this size are counted when Postgres has no row estimate: a scan of 64 MB is quick next to the build. */
const CHEAP_COUNT_BYTES = 64 * 1024 * 1024;

const pgTypes = pg.types;

/** Dates and timestamps as Postgres prints them: node-pg's Date would move a date to the laptop's time zone. */
const DATE_OIDS = new Set([1082, 1114, 1184]);
const TEXT_DATES = {
  getTypeParser: ((oid: number, format?: string) =>
    DATE_OIDS.has(oid) ? (text: string) => text : pgTypes.getTypeParser(oid, format as 'text')) as typeof pgTypes.getTypeParser,
};

/** Push-down on a Postgres server: one client per block attempt; cancel goes through a second one. */
export class PostgresWarehouse implements Warehouse {
  readonly engine = 'postgres' as const;
  readonly defaultNamespace: string | undefined;

  private constructor(
    private readonly client: pg.Client,
    private readonly pid: number,
    private readonly conn: PostgresConnection,
    private readonly place: ErrorPlace,
  ) {
    this.defaultNamespace = conn.schema;
  }

  static async open(conn: PostgresConnection, place: ErrorPlace): Promise<PostgresWarehouse> {
    const client = await connectPostgres(conn, place);
    const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    return new PostgresWarehouse(client, Number(rows[0]?.pid), conn, place);
  }

  sqlName(table: TableRef): string {
    return qualifiedName(table.namespace, table.table);
  }

  async estimate(sql: string): Promise<Estimate> {
    const { rows } = await this.run<{ 'QUERY PLAN': { Plan: { 'Total Cost': number; 'Plan Rows': number } }[] }>(
      `EXPLAIN (FORMAT JSON)\n${sql}`,
      'EXPLAIN (FORMAT JSON)\n'.length,
    );
    const plan = rows[0]?.['QUERY PLAN'][0]?.Plan;
    return { cost: plan?.['Total Cost'] ?? 0, rows: plan?.['Plan Rows'] ?? 0 };
  }

  /** CREATE TABLE … AS in one transaction, under statement_timeout; a failure leaves no table. */
  async build(target: TableRef, sql: string, options: BuildOptions): Promise<BuildStats> {
    await ensureSchema(this.client, target.namespace);
    await this.client.query('BEGIN');
    try {
      // SET LOCAL ends with the transaction, so the connection's later queries are not limited by it.
      if (options.timeoutMs) await this.client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.round(options.timeoutMs))}`);
      const prefix = `CREATE TABLE ${this.sqlName(target)} AS\n`;
      const created = await this.run(prefix + sql, prefix.length);
      await this.client.query('COMMIT');
      return { rows: created.rowCount ?? 0 };
    } catch (error) {
      await this.client.query('ROLLBACK').catch(() => undefined); // the statement's error is the one to report
      throw error;
    }
  }

  /** The Postgres export's swap: drop the old table and rename the new one in one short transaction. */
  async publish(built: TableRef, published: TableRef): Promise<void> {
    await this.client.query('BEGIN');
    try {
      // Serialises two runs publishing the same table; the lock ends with the transaction.
      await this.client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [this.sqlName(published)]);
      await this.client.query(`DROP TABLE IF EXISTS ${this.sqlName(published)}`);
      await this.client.query(`ALTER TABLE ${this.sqlName(built)} RENAME TO ${quoteIdent(published.table)}`);
      await this.client.query('COMMIT');
    } catch (error) {
      await this.client.query('ROLLBACK').catch(() => undefined); // the swap's error is the one to report
      throw explainPostgresError(error, this.conn, this.place);
    }
  }

  async copy(from: TableRef, to: TableRef, options: BuildOptions): Promise<void> {
    await this.client.query('BEGIN');
    try {
      if (options.timeoutMs) await this.client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.round(options.timeoutMs))}`);
      await this.client.query(`DROP TABLE IF EXISTS ${this.sqlName(to)}`);
      await this.client.query(`CREATE TABLE ${this.sqlName(to)} AS TABLE ${this.sqlName(from)}`);
      await this.client.query('COMMIT');
    } catch (error) {
      await this.client.query('ROLLBACK').catch(() => undefined); // the copy's error is the one to report
      throw explainPostgresError(error, this.conn, this.place);
    }
  }

  async exists(table: TableRef): Promise<boolean> {
    const { rows } = await this.client.query<{ oid: string | null }>('SELECT to_regclass($1)::text AS oid', [this.sqlName(table)]);
    return rows[0]?.oid != null;
  }

  async listTables(namespace: string, prefix: string): Promise<string[]> {
    const { rows } = await this.client.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = $1 AND starts_with(c.relname, $2) AND c.relkind IN ('r', 'p') ORDER BY 1`,
      [namespace, prefix],
    );
    return rows.map((r) => r.name);
  }

  /** reltuples once analysed (autovacuum does); a fresh CREATE TABLE AS says -1 there, so a small one is counted. */
  async rowCount(table: TableRef): Promise<number | undefined> {
    const { rows } = await this.client.query<{ kind: string; tuples: number; bytes: string }>(
      `SELECT relkind AS kind, reltuples AS tuples, pg_relation_size(oid) AS bytes FROM pg_class WHERE oid = to_regclass($1)`,
      [this.sqlName(table)],
    );
    const rel = rows[0];
    if (!rel || (rel.kind !== 'r' && rel.kind !== 'm')) return undefined; // a view's rows are a query away
    if (rel.tuples > 0) return Math.round(rel.tuples);
    if (Number(rel.bytes) > CHEAP_COUNT_BYTES) return undefined;
    const counted = await this.client.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.sqlName(table)}`);
    return Number(counted.rows[0]?.n ?? 0);
  }

  async drop(table: TableRef): Promise<void> {
    await this.client.query(`DROP TABLE IF EXISTS ${this.sqlName(table)}`);
  }

  async queryRows(sql: string): Promise<Record<string, unknown>[]> {
    return (await this.run(sql)).rows;
  }

  async window(table: TableRef, request: WindowRequest): Promise<WindowResult> {
    const columns = await this.columns(table);
    const filter = checkFilter(request.filter);
    const where = filter ? ` WHERE (\n${filter}\n)` : '';
    const terms = orderTerms(request.orderBy ?? [], columns, quoteIdent);
    // ctid breaks ties, so pages of a sort never repeat or skip rows.
    const order = ` ORDER BY ${[...terms, 'ctid'].join(', ')}`;
    const from = `FROM ${this.sqlName(table)}${where}`;
    const counted = await this.run<{ n: string }>(`SELECT count(*) AS n ${from}`);
    const page = await this.client.query({
      text: `SELECT * ${from}${order} LIMIT ${request.limit} OFFSET ${request.offset}`,
      types: TEXT_DATES,
    });
    return { columns, rows: page.rows, totalRows: Number(counted.rows[0]?.n ?? 0) };
  }

  async profile(table: TableRef): Promise<WarehouseColumnProfile[]> {
    const columns = await this.columns(table);
    if (columns.length === 0) return [];
    const parts = columns.flatMap((c, i) => {
      const col = quoteIdent(c.name);
      // min/max over text: every type has a text form, and json/arrays have no ordering of their own.
      return [
        `count(*) - count(${col}) AS n${i}`,
        `count(DISTINCT ${col}::text) AS d${i}`,
        `min(${col}::text) AS lo${i}`,
        `max(${col}::text) AS hi${i}`,
      ];
    });
    const { rows } = await this.run(`SELECT ${parts.join(', ')} FROM ${this.sqlName(table)}`);
    const row = rows[0] ?? {};
    return columns.map((c, i) => ({
      name: c.name,
      type: c.type,
      nulls: Number(row[`n${i}`] ?? 0),
      distinct: Number(row[`d${i}`] ?? 0),
      min: (row[`lo${i}`] as string | null) ?? null,
      max: (row[`hi${i}`] as string | null) ?? null,
    }));
  }

  /** pg_cancel_backend from a second connection: the running statement fails with query_canceled, the session lives. */
  async cancel(): Promise<void> {
    const other = await connectPostgres(this.conn, this.place);
    try {
      await other.query('SELECT pg_cancel_backend($1)', [this.pid]);
    } finally {
      await other.end().catch(() => undefined); // the cancel was sent; closing is best effort
    }
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined); // a connection killed by the server has nothing left to close
  }

  private async columns(table: TableRef): Promise<{ name: string; type: string }[]> {
    const { rows } = await this.client.query<{ name: string; type: string }>(
      `SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute
        WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY attnum`,
      [this.sqlName(table)],
    );
    if (rows.length === 0)
      throw new UserError(`table ${table.namespace}.${table.table} does not exist in ${this.conn.name}: run the block first`, this.place);
    return rows;
  }

  /**
   * Runs SQL the user wrote (from `userOffset` on): errors about it carry Postgres's position inside the user's part;
   * a cancel is said as such.
   */
  private async run<R extends pg.QueryResultRow = Record<string, unknown>>(sql: string, userOffset = 0): Promise<pg.QueryResult<R>> {
    try {
      return await this.client.query<R>(sql);
    } catch (error) {
      const e = error as { code?: string; position?: string; message?: string };
      if (e.code === CANCELED)
        throw new WarehouseSqlError(`Postgres cancelled the statement: ${e.message ?? ''}`, undefined, { cause: error });
      if (e.code && USER_SQL_CLASSES.some((c) => e.code?.startsWith(c))) {
        throw new WarehouseSqlError(
          `Postgres: ${e.message ?? String(error)}`,
          e.position ? Number(e.position) - 1 - userOffset : undefined,
          { cause: error },
        );
      }
      throw explainPostgresError(error, this.conn, this.place);
    }
  }
}
