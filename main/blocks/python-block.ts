import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { UserError } from '../model/errors.ts';
import type { BlockContext, BlockKind, BlockOutcome } from '../model/block-kind.ts';
import type { BlockType } from '../model/schema.ts';
import { checkPythonBlock, type PythonCheck } from '../python/check-python.ts';
import { pipInstallHint, writePythonHelpers } from '../python/interpreter.ts';
import { checkWireSchema, wireFileSelect, writeWireFile, type ExchangeFormat } from '../python/exchange-sql.ts';
import { jobJson, runHarness, type HarnessJob } from '../python/harness-run.ts';
import { loadMageHandoffs } from './mage-handoff.ts';

const configSchema = z.strictObject({
  /** The function to call; default: the one decorated @source, @transform or @export (by block type). */
  function: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a Python function name')
    .optional(),
  /** How data crosses: Parquet (needs pyarrow) or CSV; auto picks Parquet when pyarrow is installed. */
  exchange: z.enum(['auto', 'parquet', 'csv']).default('auto'),
  /** Rows per DataFrame for a parameter typed Iterator[pd.DataFrame] (the function then holds one batch at a time). */
  batch_rows: z.number().int().min(1).max(10_000_000).default(100_000),
});
type PythonConfig = z.infer<typeof configSchema>;

type PythonRole = 'source' | 'transform' | 'export';

function pythonKind(type: PythonRole, title: string): BlockKind<PythonConfig> {
  return {
    type: type satisfies BlockType,
    kind: 'python',
    title,
    configSchema,
    code: 'required',
    codeExtension: '.py',
    run: (ctx, config) => runPythonBlock(ctx, config, type),
  };
}

/** `@source def load(**kwargs)` returning a pandas DataFrame, run by the project's interpreter. */
export const pythonSource = pythonKind('source', 'Python (pandas)');
/** `@transform def clean(df, **kwargs)`: upstream outputs as DataFrames, positionally; returns a DataFrame. */
export const pythonTransform = pythonKind('transform', 'Python (pandas)');
/** `@export def send(df, **kwargs)`: writes the upstream DataFrame anywhere; the block has no output. */
export const pythonExport = pythonKind('export', 'Python (pandas)');

/**
 * One Python block attempt: 1. check the interpreter and imports, 2. write each upstream output as a wire file,
 * 3. run the function (and the file's @test functions) in a child process, 4. load what it returned into DuckDB.
 */
async function runPythonBlock(ctx: BlockContext, config: PythonConfig, role: PythonRole): Promise<BlockOutcome> {
  const code = ctx.block.code;
  if (!code) throw new UserError('a python block needs a .py file (file: blocks/<name>.py)', { block: ctx.block.id });
  const check = await checkPythonBlock(ctx.project, ctx.block, { signal: ctx.signal, tempDir: ctx.tempDir });
  const [problem] = check.problems;
  if (problem) throw problem;
  const format = exchangeFormat(check, config, ctx.block.id);
  ctx.log('debug', `python ${check.version ?? '?'} (${check.interpreter.written}), data as ${format}`);
  const dir = path.join(ctx.tempDir, 'exchange');
  await mkdir(dir, { recursive: true });
  const inputs: HarnessJob['inputs'] = [];
  const mageItem = mageItemOf(ctx);
  let rowsIn = 0;
  // ctx.inputs leaves out upstream exports: they have no output, they only order this block.
  for (const [i, upstream] of (ctx.inputs ?? ctx.block.upstream).entries()) {
    if (upstream === mageItem?.upstream) {
      inputs.push({ id: upstream, item: true }); // the child gets its item, not the list's table
      continue;
    }
    const file = path.join(dir, `in_${i}.${format}`);
    const { columns, rows } = await writeWireFile(ctx.data, upstream, file, format);
    inputs.push({ id: upstream, path: file, format, columns });
    rowsIn += rows;
  }
  const output = role === 'export' ? null : { path: path.join(dir, `out.${format}`), format };
  const job: HarnessJob = {
    role,
    file: code.absPath,
    relFile: code.relPath,
    projectDir: ctx.project.dir,
    blockId: ctx.block.id,
    runId: ctx.runId,
    pipelineId: ctx.pipelineId,
    variables: mageItem ? withoutItem(ctx.variables) : ctx.variables,
    inputs,
    output,
    ...(config.function ? { function: config.function } : {}),
    handoff: { dir, format },
    ...(ctx.block.dynamic ? { dynamic: true } : {}),
    ...(mageItem ? { mageItem } : {}),
    batchRows: config.batch_rows,
  };
  const jobFile = path.join(dir, 'job.json');
  await writeFile(jobFile, jobJson(job));
  const helpers = await writePythonHelpers(ctx.tempDir);
  const result = await runHarness(ctx, check.interpreter, helpers, jobFile);
  await loadMageHandoffs(ctx, result.handoffs, code.relPath);
  if (!output) return { rowsIn, hasOutput: false, tests: result.tests };
  const columns = checkWireSchema(result.columns);
  const rowsOut = await ctx.data.writeOutputFromQuery(wireFileSelect(output.path, format, columns)).catch((error: unknown) => {
    const why = error instanceof Error ? error.message : String(error);
    throw new UserError(`the DataFrame could not be loaded into DuckDB: ${why}`, { block: ctx.block.id, file: code.relPath });
  });
  return { rowsIn, rowsOut, hasOutput: true, tests: result.tests };
}

function exchangeFormat(check: PythonCheck, config: PythonConfig, block: string): ExchangeFormat {
  if (config.exchange === 'csv') return 'csv';
  if (config.exchange === 'auto') return check.hasPyarrow ? 'parquet' : 'csv';
  if (check.hasPyarrow) return 'parquet';
  throw new UserError(
    `block ${block} needs pyarrow for exchange: parquet: \`${pipInstallHint(check.interpreter, 'pyarrow')}\`, or set exchange: auto`,
    {
      block,
      path: 'config.exchange',
    },
  );
}

/** A child of a Mage-style dynamic block (pw_mage.py wrote its item as `_mage_*` columns): its item, in Mage's shape. */
function mageItemOf(ctx: BlockContext): HarnessJob['mageItem'] {
  const item = ctx.variables.item as Record<string, unknown> | undefined;
  if (!item || typeof item !== 'object' || typeof item._mage_item !== 'string' || typeof item._mage_block !== 'string') return undefined;
  if (!ctx.block.upstream.includes(item._mage_block)) return undefined;
  const metadata = typeof item._mage_metadata === 'string' ? item._mage_metadata : 'null';
  const uuid = (JSON.parse(metadata) as { block_uuid?: unknown } | null)?.block_uuid;
  if (uuid !== undefined) ctx.log('info', `Mage child ${ctx.block.id.replace(/\[\d+\]$/, '')}:${String(uuid)}`);
  return { upstream: item._mage_block, item: item._mage_item, metadata, index: Number(item._mage_index ?? 0) };
}

function withoutItem(variables: Record<string, unknown>): Record<string, unknown> {
  const { item: _item, ...rest } = variables;
  return rest;
}
