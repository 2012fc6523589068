import { tableFromIPC, tableToIPC } from 'apache-arrow';
import { z } from 'zod';
import { UserError } from '../model/errors.ts';
import type { BlockContext, BlockKind } from '../model/block-kind.ts';
import { runTypeScript } from '../sandbox/ts-runner.ts';
import type { TypeScriptSource } from '../sandbox/ts-compile.ts';
import { inputsOf } from './block-inputs.ts';

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
    const inputs = await readUpstream(ctx);
    const rowsIn = inputs.reduce((sum, input) => sum + input.rows, 0);
    const result = await runTypeScript({
      ctx,
      source,
      mode: 'transform',
      exportNames: [config.export ?? 'default'],
      inputs: inputs.map(({ id, ipc }) => ({ id, ipc })),
    });
    const rowsOut = await writeResult(ctx, result);
    return { rowsIn, rowsOut, hasOutput: true };
  },
};

function blockSource(ctx: BlockContext): TypeScriptSource {
  const code = ctx.block.code;
  if (!code) throw new UserError('a typescript block needs a .ts file (file: blocks/<name>.ts)', { block: ctx.block.id });
  return { relPath: code.relPath, absPath: code.absPath, text: code.text };
}

/** Each upstream output as Arrow IPC bytes, in upstream order (exports have none). */
async function readUpstream(ctx: BlockContext): Promise<{ id: string; ipc: Uint8Array; rows: number }[]> {
  const inputs = [];
  for (const id of inputsOf(ctx)) {
    const table = await ctx.data.readArrow(id);
    inputs.push({ id, ipc: tableToIPC(table, 'stream'), rows: table.numRows });
  }
  return inputs;
}

async function writeResult(ctx: BlockContext, result: Awaited<ReturnType<typeof runTypeScript>>): Promise<number> {
  switch (result.type) {
    case 'table':
      return ctx.data.writeOutputFromArrow(tableFromIPC(result.ipc));
    case 'rows':
      if (result.rows.length === 0) {
        throw new UserError('the block returned an empty array, which has no columns; return an empty apache-arrow Table to write no rows', {
          block: ctx.block.id,
          file: ctx.block.code?.relPath,
        });
      }
      return ctx.data.writeOutputFromRows(result.rows);
    case 'done':
      throw new Error('a transform worker answered like a test');
  }
}
