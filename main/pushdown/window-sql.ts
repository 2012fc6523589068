import { UserError } from '../model/errors.ts';

/** ORDER BY terms of a preview window, each column checked against the table's (no SQL from the sort reaches the warehouse). */
export function orderTerms(
  orderBy: readonly { column: string; descending?: boolean }[],
  columns: readonly { name: string }[],
  quote: (name: string) => string,
): string[] {
  return orderBy.map((o, i) => {
    if (!columns.some((c) => c.name === o.column)) {
      throw new UserError(`cannot sort by ${o.column}: there is no such column (columns: ${columns.map((c) => c.name).join(', ')})`, {
        path: `orderBy[${i}].column`,
      });
    }
    return `${quote(o.column)} ${o.descending ? 'DESC' : 'ASC'} NULLS LAST`;
  });
}

/** A preview filter is one boolean expression: a `;` could start a second statement. */
export function checkFilter(filter: string | undefined): string | undefined {
  const text = filter?.trim() ? filter : undefined;
  if (text?.includes(';')) throw new UserError('the filter must be one boolean expression, without ";"', { path: 'filter' });
  return text;
}
