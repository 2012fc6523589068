import { qualifiedName } from '../data/sql-names.ts';
import type { ExportColumn } from './postgres-types.ts';
import type { SchemaDiff } from '../model/design-types.ts';
import { findDrift, type TargetColumn } from './schema-drift.ts';
import type { LoadMode } from './load-table.ts';
import { addColumnSql, createSchemaSql, createTableSql, swapInSql } from './table-sql.ts';
import { parallelStagingName } from './parallel-replace.ts';

export interface TableLoadPlan {
  /** The statements a load would run, in order (COPY and the append ledger left out). */
  ddl: string[];
  schemaDiff: SchemaDiff;
  /** Set when the load would be refused (mode fail over an existing table, on_schema_change: fail with differences). */
  refusal?: string;
}

/**
 * What loadTable would do to `schema.table`, from the same SQL builders it uses, given what exists now: the DDL of
 * a replace (staging table, then the swap), an append or upsert (create, or add columns), and the differences
 * between the output's columns and the existing table's with what `mode` and `onSchemaChange` make of them.
 */
export function planTableLoad(args: {
  schema: string;
  table: string;
  columns: ExportColumn[];
  mode: LoadMode;
  key: string[];
  onSchemaChange: 'fail' | 'add_columns';
  existing: TargetColumn[] | undefined;
  hasSchema: boolean;
  copyConnections: number;
}): TableLoadPlan {
  const { schema, table, columns, mode, existing } = args;
  const target = qualifiedName(schema, table);
  const ddl = args.hasSchema ? [] : [createSchemaSql(schema)];
  const drift = existing ? findDrift(columns, existing) : undefined;
  const schemaDiff = {
    targetExists: existing !== undefined,
    added: (drift?.added ?? []).map((c) => ({ name: c.name, type: c.pgType })),
    missing: drift?.removed ?? [],
    retyped: drift?.retyped ?? [],
    policy: '',
  };
  const plan = (policy: string, refusal?: string): TableLoadPlan => ({
    ddl,
    schemaDiff: { ...schemaDiff, policy },
    ...(refusal ? { refusal } : {}),
  });
  if (mode === 'replace' || mode === 'fail') {
    if (existing && mode === 'fail')
      return plan('mode fail: refused, the table exists', `${schema}.${table} already exists and mode is fail`);
    // A replace over several connections stages into a committed table named after the target (parallel-replace.ts).
    const staging = qualifiedName(schema, args.copyConnections > 1 ? parallelStagingName(schema, table, '<random>') : '_pw_stage_<random>');
    ddl.push(createTableSql(staging, columns), ...swapInSql(target, staging, table, existing !== undefined));
    return plan(
      existing
        ? drift?.text
          ? `replace: the table is rebuilt with the output's columns (${drift.text})`
          : 'replace: same columns, rows replaced'
        : 'the table is created',
    );
  }
  if (!existing) {
    ddl.push(createTableSql(target, columns, mode === 'upsert' ? args.key : []));
    return plan('the table is created');
  }
  if (!drift?.text) return plan(`${mode}: same columns`);
  if (args.onSchemaChange === 'fail')
    return plan(`on_schema_change fail: refused (${drift.text})`, `${schema}.${table} differs from the block's output (${drift.text})`);
  ddl.push(...drift.added.map((c) => addColumnSql(target, c)));
  return plan(
    drift.added.length
      ? `on_schema_change add_columns: adds ${drift.added.map((c) => c.name).join(', ')}`
      : `on_schema_change add_columns: nothing to add (${drift.text})`,
  );
}
