import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UserError, type ErrorPlace } from '../model/errors.ts';
import type { BlockContext } from '../model/block-kind.ts';
import { checkPythonBlock } from './check-python.ts';
import { writeWireFile } from './exchange-sql.ts';
import { jobJson, runHarness, type HarnessJob } from './harness-run.ts';
import { projectInterpreter, writePythonHelpers } from './interpreter.ts';

/** A Python function that answers True or False: a block's `condition: { python }`, or a `sensor/python` check. */
export interface PythonPredicate {
  role: 'condition' | 'sensor';
  /** The .py file, relative to the project. */
  file: string;
  /** The function to call; default: the one decorated @condition or @sensor. */
  function?: string;
  /** Upstream outputs it receives positionally, as DataFrames. */
  upstream: readonly string[];
  /** Where an error points (`condition.python`, or the sensor's file). */
  place: ErrorPlace;
  /** Set after a first call found the interpreter and imports fine: a sensor's later checks skip that probe. */
  isChecked?: boolean;
}

/**
 * Runs a @condition or @sensor function in the project's interpreter (the same harness as Python blocks: its print
 * output is logged, an exception fails with the user's traceback) and resolves to what it returned. Exchange files
 * and the job go to the attempt's temp folder: nothing is written into the project.
 */
export async function runPythonPredicate(ctx: BlockContext, predicate: PythonPredicate): Promise<boolean> {
  if (path.extname(predicate.file) !== '.py') throw new UserError(`${predicate.file} is not a .py file`, predicate.place);
  const absFile = path.resolve(ctx.project.dir, predicate.file);
  const check = predicate.isChecked
    ? { interpreter: projectInterpreter(ctx.project), problems: [] }
    : await checkPythonBlock(
        ctx.project,
        { ...ctx.block, file: predicate.file, code: undefined },
        { signal: ctx.signal, tempDir: ctx.tempDir },
      );
  const [problem] = check.problems;
  if (problem) throw problem;
  const dir = path.join(ctx.tempDir, `${predicate.role}-exchange`);
  await mkdir(dir, { recursive: true });
  const inputs: HarnessJob['inputs'] = [];
  for (const [i, upstream] of predicate.upstream.entries()) {
    const file = path.join(dir, `in_${i}.csv`);
    const { columns } = await writeWireFile(ctx.data, upstream, file, 'csv');
    inputs.push({ id: upstream, path: file, format: 'csv', columns });
  }
  const job: HarnessJob = {
    role: predicate.role,
    file: absFile,
    relFile: predicate.file,
    projectDir: ctx.project.dir,
    blockId: ctx.block.id,
    runId: ctx.runId,
    pipelineId: ctx.pipelineId,
    variables: ctx.variables,
    inputs,
    output: null,
    ...(predicate.function ? { function: predicate.function } : {}),
  };
  const jobFile = path.join(dir, 'job.json');
  await writeFile(jobFile, jobJson(job));
  const result = await runHarness(ctx, check.interpreter, await writePythonHelpers(ctx.tempDir), jobFile);
  if (typeof result.value !== 'boolean') throw new Error(`the Python harness answered no True or False for ${predicate.file}`);
  return result.value;
}
