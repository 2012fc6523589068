import { UserError } from '../model/errors.ts';
import { parseCsvError } from '../blocks/file-formats.ts';

/**
 * A preview that failed while DuckDB parsed a file (a source stored as a view over its file is parsed when read): the
 * line, column and value, short, instead of DuckDB's advice about auto-detection, which does not apply to declared types.
 */
export function explainPreviewError(error: unknown, blockId: string): unknown {
  const csv = parseCsvError(error instanceof Error ? error.message : String(error));
  if (!csv) return error;
  const column = csv.column !== undefined ? ` (${csv.column})` : '';
  return new UserError(
    `${blockId} is read from its file when previewed, and line ${csv.line}${column} does not fit: ${csv.reason}; fix the file or the block's config.columns / formats`,
    { block: blockId, ...(csv.line !== undefined ? { line: csv.line } : {}) },
  );
}
