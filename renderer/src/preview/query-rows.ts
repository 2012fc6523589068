import { tableFromIPC } from 'apache-arrow';
import type { ApiClient } from '../api/api-client.ts';
import { quoteLiteral } from './sql-text.ts';

/** Runs a small query over the workspace and returns its rows as plain objects (bigints as numbers). */
export async function queryRows(api: ApiClient, sql: string, limit = 10_000): Promise<Record<string, unknown>[]> {
  const reply = await api.call('workspace.query', { sql, window: { offset: 0, limit } });
  const table = tableFromIPC(reply.ipc);
  const rows: Record<string, unknown>[] = [];
  for (let r = 0; r < table.numRows; r++) {
    const row: Record<string, unknown> = {};
    reply.columns.forEach((c, i) => {
      const value: unknown = table.getChildAt(i)?.get(r);
      row[c.name] = typeof value === 'bigint' ? Number(value) : value;
    });
    rows.push(row);
  }
  return rows;
}

/** Columns of every workspace view of one pipeline (its blocks' latest outputs), by block id. */
export async function readPipelineColumns(api: ApiClient, pipelineId: string): Promise<Map<string, string[]>> {
  const rows = await queryRows(
    api,
    `select table_name, column_name from information_schema.columns where table_schema = ${quoteLiteral(pipelineId)} order by table_name, ordinal_position`,
  );
  const byTable = new Map<string, string[]>();
  for (const row of rows) {
    const table = String(row.table_name);
    byTable.set(table, [...(byTable.get(table) ?? []), String(row.column_name)]);
  }
  return byTable;
}
