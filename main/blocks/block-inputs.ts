import { UserError } from '../model/errors.ts';
import type { BlockContext } from '../model/block-kind.ts';

/** The upstream blocks whose outputs the block reads, in upstream order: exports have no output and only order it. */
export function inputsOf(ctx: BlockContext): readonly string[] {
  return ctx.inputs ?? ctx.block.upstream;
}

/**
 * A SQL error from reading an upstream export, restated: DuckDB says the table does not exist, which reads as a
 * missing edge when the edge is there. Other errors are returned as they are.
 */
export function explainExportRead(ctx: BlockContext, error: unknown): unknown {
  if (!(error instanceof UserError)) return error;
  const named = /Table with name "?([^"\s!]+)"? does not exist/.exec(error.message)?.[1]?.toLowerCase();
  const inputs = inputsOf(ctx);
  const exported = ctx.block.upstream.find((id) => id.toLowerCase() === named && !inputs.includes(id));
  if (exported === undefined) return error;
  const instead =
    inputs.length > 0 ? `read ${inputs.join(', ')} instead` : "read the export's own upstream block instead (add an edge from it)";
  return new UserError(
    `${exported} is an export: exports have no output, so ${ctx.block.id} only runs after it; ${instead}`,
    { ...error.place, block: ctx.block.id },
    { cause: error },
  );
}
