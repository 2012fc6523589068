import { UserError, type ErrorPlace } from '../model/errors.ts';
import { describeSqlError } from '../data/sql-errors.ts';
import type { CompiledSql } from './compile-sql.ts';
import { WarehouseSqlError } from './warehouse.ts';

/**
 * A warehouse's error about the block's SQL becomes a UserError at the line and column of the file the user wrote
 * (positions in the compiled SQL are mapped back past the table names); other errors pass unchanged.
 */
export function placeSqlError(error: unknown, sqlText: string, compiled: CompiledSql, place: ErrorPlace): unknown {
  if (!(error instanceof WarehouseSqlError)) return error;
  const index = error.position === undefined ? undefined : compiled.toSource(error.position);
  const described = describeSqlError(new Error(error.message), sqlText, 0, index);
  const where: ErrorPlace = { ...place };
  if (described.line !== undefined) where.line = described.line;
  if (described.column !== undefined) where.column = described.column;
  return new UserError(described.message, where, { cause: error });
}
