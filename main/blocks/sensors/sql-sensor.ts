import { z } from 'zod';
import { UserError } from '../../model/errors.ts';
import type { BlockKind } from '../../model/block-kind.ts';
import { pollFields, pollUntilFound } from './poll.ts';

const configSchema = z.strictObject({
  /** A query on the workspace (`<pipeline>.<block>` names the latest outputs) whose first value is true when ready. */
  query: z.string().min(1),
  ...pollFields,
});

/** Waits until a query on the DuckDB workspace returns true (first column of the first row; no rows, NULL or a missing table: not yet). */
export const sqlSensor: BlockKind<z.infer<typeof configSchema>> = {
  type: 'sensor',
  kind: 'sql',
  title: 'Wait for a SQL query to return true',
  configSchema,
  code: 'none',
  run(ctx, config) {
    return pollUntilFound(ctx, config, `query ${config.query} to return true`, async () => {
      const rows = await ctx.data.queryRows(config.query).catch((error: unknown) => {
        // A table that does not exist yet (another pipeline's first output) is what a sensor waits for.
        if (error instanceof UserError && /^Catalog Error: Table with name/.test(error.message)) return undefined;
        throw error;
      });
      if (!rows) {
        ctx.log('debug', 'a table the query reads does not exist yet');
        return undefined;
      }
      const value = rows[0] ? Object.values(rows[0])[0] : null;
      if (value === null || value === undefined || value === false) return undefined;
      if (value !== true) {
        throw new UserError(
          `config.query returned ${JSON.stringify(String(value))}, not a boolean: write a condition such as count(*) > 0`,
          { block: ctx.block.id, path: 'config.query' },
        );
      }
      return 'true';
    });
  },
};
