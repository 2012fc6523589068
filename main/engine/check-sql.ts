import { checkKindOf, type BlockCheck, type Severity } from '../model/check-schema.ts';
import { quoteIdent, quoteLiteral } from '../data/sql-names.ts';
import { renderTemplate } from '../model/templating.ts';

/** A check turned into SQL: a query whose rows are the violations (empty when the check holds). */
export interface CompiledCheck {
  name: string;
  severity: Severity;
  /** Columns of the block's own output the check reads (refused when the output lacks one). */
  columns: string[];
  /** For relationships: the other block's column it reads. */
  foreign?: { block: string; column: string };
  violationsSql: string;
  /** What one counted violation is: rows, or keys for unique, or the one failed condition of row_count/freshness. */
  unit: 'row' | 'key' | 'result';
}

/** Compiles `check` against `own` (the block's id, readable as a table); `variables` feed templates and freshness. */
export function compileCheck(check: BlockCheck, own: string, variables: Record<string, unknown>): CompiledCheck {
  const severity = check.severity ?? 'fail';
  const table = quoteIdent(own);
  const kind = checkKindOf(check);
  const base = (name: string, columns: string[], violationsSql: string, unit: CompiledCheck['unit'] = 'row') => ({
    name: check.name ?? name,
    severity,
    columns,
    violationsSql,
    unit,
  });
  if ('not_null' in check) {
    const cols = list(check.not_null);
    return base(
      `not_null(${cols.join(', ')})`,
      cols,
      `SELECT * FROM ${table} WHERE ${cols.map((c) => `${quoteIdent(c)} IS NULL`).join(' OR ')}`,
    );
  }
  if ('unique' in check) {
    const cols = list(check.unique);
    const keys = cols.map(quoteIdent).join(', ');
    return base(
      `unique(${cols.join(', ')})`,
      cols,
      `SELECT ${keys}, count(*) AS duplicate_rows FROM ${table} GROUP BY ${keys} HAVING count(*) > 1 ORDER BY duplicate_rows DESC`,
      'key',
    );
  }
  if ('accepted_values' in check) {
    const { column, values } = check.accepted_values;
    const name = `accepted_values(${column} in ${values.join(', ')})`;
    return base(name, [column], `SELECT * FROM ${table} WHERE ${quoteIdent(column)} NOT IN (${values.map(literal).join(', ')})`);
  }
  if ('range' in check) {
    const { column, min, max, exclusive } = check.range;
    const [lo, hi] = exclusive ? ['<=', '>='] : ['<', '>'];
    const outside = [
      ...(min !== undefined ? [`${quoteIdent(column)} ${lo} ${literal(min)}`] : []),
      ...(max !== undefined ? [`${quoteIdent(column)} ${hi} ${literal(max)}`] : []),
    ];
    const lt = exclusive ? '<' : '≤';
    const name = `range(${min !== undefined ? `${min} ${lt} ` : ''}${column}${max !== undefined ? ` ${lt} ${max}` : ''})`;
    return base(name, [column], `SELECT * FROM ${table} WHERE ${outside.join(' OR ')}`);
  }
  if ('relationships' in check) {
    const { column, to, field } = check.relationships;
    const sql = `SELECT * FROM ${table} AS c WHERE c.${quoteIdent(column)} IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM ${quoteIdent(to)} AS p WHERE p.${quoteIdent(field)} = c.${quoteIdent(column)})`;
    return { ...base(`relationships(${column} → ${to}.${field})`, [column], sql), foreign: { block: to, column: field } };
  }
  if ('row_count' in check) {
    const { min, max } = check.row_count;
    const holds = [...(min !== undefined ? [`count(*) >= ${min}`] : []), ...(max !== undefined ? [`count(*) <= ${max}`] : [])];
    const name = `row_count(${[min !== undefined ? `≥ ${min}` : '', max !== undefined ? `≤ ${max}` : ''].filter(Boolean).join(', ')})`;
    return base(name, [], `SELECT count(*) AS row_count FROM ${table} HAVING NOT (${holds.join(' AND ')})`, 'result');
  }
  if ('freshness' in check) {
    const { column, within } = check.freshness;
    const oldest = `(${executionTimestamp(variables)} - INTERVAL ${quoteLiteral(within)})`;
    const sql = `SELECT max(${quoteIdent(column)}) AS latest, ${oldest} AS oldest_allowed FROM ${table}
      HAVING max(${quoteIdent(column)}) IS NULL OR max(${quoteIdent(column)}) < ${oldest}`;
    return base(`freshness(${column} within ${within})`, [column], sql, 'result');
  }
  if ('sql' in check) {
    return base(check.name, [], renderTemplate(check.sql, variables).trim().replace(/;\s*$/, ''));
  }
  throw new Error(`check kind ${String(kind)} has no SQL`);
}

function list(columns: string | string[]): string[] {
  return typeof columns === 'string' ? [columns] : columns;
}

function literal(value: string | number | boolean): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  return quoteLiteral(value);
}

/** The run's execution_date as a naive UTC TIMESTAMP, comparable with the TIMESTAMP and DATE columns of sources. */
function executionTimestamp(variables: Record<string, unknown>): string {
  const iso = typeof variables.execution_date === 'string' ? variables.execution_date : new Date().toISOString();
  return `TIMESTAMP ${quoteLiteral(iso.slice(0, 19).replace('T', ' '))}`;
}
