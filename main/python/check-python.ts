import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../model/errors.ts';
import type { LoadedBlock, Pipeline, Project } from '../model/project.ts';
import { pipInstallHint, projectInterpreter, writePythonHelpers, type PythonInterpreter } from './interpreter.ts';
import { runPython } from './python-process.ts';

/** What checking a Python block found: the interpreter, and every problem that would stop the block. */
export interface PythonCheck {
  interpreter: PythonInterpreter;
  /** `3.11.2`, when the interpreter ran. */
  version?: string;
  /** Whether pyarrow can be imported (data then travels as Parquet instead of CSV). */
  hasPyarrow: boolean;
  /** Empty when the block can run; each problem names the block and, where known, the file and line. */
  problems: UserError[];
}

interface ProbeReport {
  version: string;
  pandas: boolean;
  pyarrow: boolean;
  missing: { module: string; line: number }[];
  syntax: { message: string; line: number; column: number | null } | null;
}

/**
 * Checks a Python block without running its code: the interpreter starts, pandas is there, the file parses and every
 * module it imports (outside `try:`) can be found. For `pipewright check` and for the start of each Python block's run.
 * Resolves with the problems; rejects only when `signal` aborts.
 */
export async function checkPythonBlock(
  project: Project,
  block: LoadedBlock,
  opts: { signal?: AbortSignal; tempDir?: string } = {},
): Promise<PythonCheck> {
  const interpreter = projectInterpreter(project);
  const file = block.code?.relPath ?? block.file;
  if (!file)
    return {
      interpreter,
      hasPyarrow: false,
      problems: [new UserError('a python block needs a .py file (file: blocks/<name>.py)', { block: block.id })],
    };
  const ownTemp = opts.tempDir === undefined ? await mkdtemp(path.join(os.tmpdir(), 'pw-check-')) : undefined;
  try {
    const helpers = await writePythonHelpers(opts.tempDir ?? ownTemp ?? os.tmpdir());
    const report = await probe(project, block, interpreter, helpers, path.resolve(project.dir, file), opts.signal);
    return { interpreter, version: report.version, hasPyarrow: report.pyarrow, problems: problemsOf(report, interpreter, block.id, file) };
  } catch (error) {
    if (error instanceof UserError) return { interpreter, hasPyarrow: false, problems: [error] };
    throw error;
  } finally {
    if (ownTemp) await rm(ownTemp, { recursive: true, force: true });
  }
}

/** Checks every Python block of a pipeline, one after another; resolves to all their problems, in block order. */
export async function checkPythonBlocks(project: Project, pipeline: Pipeline, opts: { signal?: AbortSignal } = {}): Promise<UserError[]> {
  const problems: UserError[] = [];
  for (const block of pipeline.blocks) {
    if (block.kind === 'python') problems.push(...(await checkPythonBlock(project, block, opts)).problems);
  }
  return problems;
}

async function probe(
  project: Project,
  block: LoadedBlock,
  interpreter: PythonInterpreter,
  helpers: string,
  absFile: string,
  signal = new AbortController().signal,
): Promise<ProbeReport> {
  const exit = await runPython({
    interpreter,
    args: [path.join(helpers, 'pw_probe.py'), project.dir, absFile],
    cwd: project.dir,
    signal,
    block: block.id,
  });
  const last = exit.stdout.at(-1);
  try {
    if (exit.code === 0 && last) return JSON.parse(last) as ProbeReport;
  } catch {
    // Not our JSON: reported below with what the interpreter said.
  }
  const said = exit.stderrTail.join('\n').trim() || exit.stdout.join('\n').trim();
  throw new UserError(
    `block ${block.id}: ${interpreter.written} did not run Pipewright's check (exit ${exit.code ?? exit.signal}); is it Python 3.8 or newer?${said ? `\n${said}` : ''}`,
    { block: block.id, file: 'pipewright.yaml', path: 'python' },
  );
}

function problemsOf(report: ProbeReport, interpreter: PythonInterpreter, block: string, file: string): UserError[] {
  const problems: UserError[] = [];
  if (!report.pandas) {
    problems.push(
      new UserError(`block ${block} needs pandas: \`${pipInstallHint(interpreter, 'pandas')}\``, {
        block,
        file: 'pipewright.yaml',
        path: 'python',
      }),
    );
  }
  if (report.syntax) {
    const { message, line, column } = report.syntax;
    problems.push(new UserError(message, { block, file, line, ...(column ? { column } : {}) }));
  }
  for (const { module, line } of report.missing) {
    problems.push(new UserError(`block ${block} needs ${module}: \`${pipInstallHint(interpreter, module)}\``, { block, file, line }));
  }
  return problems;
}
