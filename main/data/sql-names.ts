/** Quotes a SQL identifier for DuckDB: always double-quoted, inner `"` doubled. */
export function quoteIdent(name: string): string {
  return '"' + name.replaceAll('"', '""') + '"';
}

/** Quotes a SQL string literal: single-quoted, inner `'` doubled. */
export function quoteLiteral(value: string): string {
  return "'" + value.replaceAll("'", "''") + "'";
}

/** `"schema"."name"`, both parts quoted. */
export function qualifiedName(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/** Schema of the physical output tables (one per block attempt). */
export const OUTPUT_SCHEMA = '_pw_out';

/** Quoted name of a physical output table: `"_pw_out"."<physical>"`. */
export function outputTableRef(physical: string): string {
  return qualifiedName(OUTPUT_SCHEMA, physical);
}
