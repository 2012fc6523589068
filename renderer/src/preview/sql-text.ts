/** A SQL identifier, always quoted (inner `"` doubled): the renderer's copy of main/data/sql-names.ts. */
export function quoteIdent(name: string): string {
  return '"' + name.replaceAll('"', '""') + '"';
}

/** A SQL string literal (inner `'` doubled). */
export function quoteLiteral(value: string): string {
  return "'" + value.replaceAll("'", "''") + "'";
}

/** The workspace view of a block's latest output: `"<pipeline>"."<block>"`. */
export function blockRelation(pipelineId: string, blockId: string): string {
  return `${quoteIdent(pipelineId)}.${quoteIdent(blockId)}`;
}
