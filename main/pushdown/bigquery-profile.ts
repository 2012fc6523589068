import type { WarehouseColumnProfile } from './warehouse.ts';

/** Types BigQuery cannot compare or count distinct directly: profiled through their JSON text. */
const UNORDERED = new Set(['RECORD', 'STRUCT', 'JSON', 'GEOGRAPHY', 'ARRAY']);

/** One aggregate query over the whole table: nulls, distinct count (approximate: exact would scan twice), min, max. */
export function bigQueryProfileSql(table: string, fields: readonly { name: string; type: string }[]): string {
  const parts = fields.flatMap((f, i) => {
    const col = `\`${f.name}\``;
    const text = UNORDERED.has(f.type) ? `TO_JSON_STRING(${col})` : `CAST(${col} AS STRING)`;
    const ordered = UNORDERED.has(f.type) ? text : col;
    return [
      `COUNTIF(${col} IS NULL) AS n${i}`,
      `APPROX_COUNT_DISTINCT(${text}) AS d${i}`,
      `CAST(MIN(${ordered}) AS STRING) AS lo${i}`,
      `CAST(MAX(${ordered}) AS STRING) AS hi${i}`,
    ];
  });
  return `SELECT ${parts.join(', ')} FROM ${table}`;
}

export function readProfileRow(fields: readonly { name: string; type: string }[], row: Record<string, unknown>): WarehouseColumnProfile[] {
  return fields.map((f, i) => ({
    name: f.name,
    type: f.type,
    nulls: Number(row[`n${i}`] ?? 0),
    distinct: Number(row[`d${i}`] ?? 0),
    min: row[`lo${i}`] === null || row[`lo${i}`] === undefined ? null : String(row[`lo${i}`]),
    max: row[`hi${i}`] === null || row[`hi${i}`] === undefined ? null : String(row[`hi${i}`]),
  }));
}
