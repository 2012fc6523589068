import { tableFromIPC } from 'apache-arrow';
import { z } from 'zod';
import { UserError } from '../model/errors.ts';
import type { BlockContext, BlockKind } from '../model/block-kind.ts';
import { runTypeScript } from '../sandbox/ts-runner.ts';
import type { TypeScriptSource } from '../sandbox/ts-compile.ts';
import { inputsOf } from './block-inputs.ts';
import { createBatchFeed } from './ts-batch-feed.ts';

const configSchema = z.strictObject({
  /** The function to call; default: the file's default export. */
  export: z.string().min(1).optional(),
});
type TypeScriptConfig = z.infer<typeof configSchema>;

/**
 * A TypeScript function over the upstream outputs (Arrow tables keyed by block id) that returns an Arrow table or
 * rows. It is compiled with esbuild when the block runs and runs in a worker thread, so it can be timed out and cancelled.
 */
export const typescriptTransform: BlockKind<TypeScriptConfig> = {
  type: 'transform',
  kind: 'typescript',
  title: 'TypeScript (Arrow)',
  configSchema,
  code: 'required',
  codeExtension: '.ts',
  async run(ctx, config) {
    const source = blockSource(ctx);
    const ids = [...inputsOf(ctx)];
    const rowsIn = await countRows(ctx, ids);
    // Inputs are read once the worker says what its function wants: whole tables, or record batches as it pulls them.
    const feed = createBatchFeed(ctx, ids);
    const result = await runTypeScript({
      ctx,
      source,
      mode: 'transform',
      exportNames: [config.export ?? 'default'],
      inputs: [],
      lazyInputs: { ids, conversation: feed.conversation },
    }).catch(async (error: unknown) => {
      await feed.abandon(error);
      throw error;
    });
    const streamed = await feed.finish();
    const rowsOut = streamed ?? (await writeResult(ctx, result));
    return { rowsIn, rowsOut, hasOutput: true };
  },
};

function blockSource(ctx: BlockContext): TypeScriptSource {
  const code = ctx.block.code;
  if (!code) throw new UserError('a typescript block needs a .ts file (file: blocks/<name>.ts)', { block: ctx.block.id });
  return { relPath: code.relPath, absPath: code.absPath, text: code.text };
}

/** Rows of every input, counted by DuckDB (in one statement) without reading them. */
async function countRows(ctx: BlockContext, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const [row] = await ctx.data.queryRows(`SELECT ${ids.map((id) => `(SELECT count(*) FROM ${ctx.data.relation(id)})`).join(' + ')} AS n`);
  return Number(row?.n ?? 0);
}

async function writeResult(ctx: BlockContext, result: Awaited<ReturnType<typeof runTypeScript>>): Promise<number> {
  switch (result.type) {
    case 'table':
      return ctx.data.writeOutputFromArrow(tableFromIPC(result.ipc));
    case 'rows':
      if (result.rows.length === 0) {
        throw new UserError(
          'the block returned an empty array, which has no columns; return an empty apache-arrow Table to write no rows',
          {
            block: ctx.block.id,
            file: ctx.block.code?.relPath,
          },
        );
      }
      return ctx.data.writeOutputFromRows(result.rows);
    case 'done':
    case 'streamed':
      throw new Error(`a transform worker answered '${result.type}' where a result was due`);
  }
}
