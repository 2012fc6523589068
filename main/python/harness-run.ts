import path from 'node:path';
import { OperationalError, UserError, type ErrorPlace } from '../model/errors.ts';
import type { BlockContext } from '../model/block-kind.ts';
import type { BlockTestResult } from '../model/run-events.ts';
import type { ExchangeFormat, WireColumn } from './exchange-sql.ts';
import { pipInstallHint, type PythonInterpreter } from './interpreter.ts';
import { logLevelOf, runPython } from './python-process.ts';

/** What pw_harness.py is asked to do (written as job.json). */
export interface HarnessJob {
  role: 'source' | 'transform' | 'export' | 'condition' | 'sensor';
  file: string;
  relFile: string;
  projectDir: string;
  /** A function name that overrides the decorator choice. */
  function?: string;
  blockId: string;
  runId: string;
  pipelineId: string;
  variables: Record<string, unknown>;
  /** Upstream outputs in upstream order; `item` marks the dynamic parent whose item a Mage child gets in its place. */
  inputs: ({ id: string; path: string; format: ExchangeFormat; columns: WireColumn[] } | { id: string; item: true })[];
  output: { path: string; format: ExchangeFormat } | null;
  /** Where Mage's `Postgres`/`GoogleCloudStorage`/`BigQuery` `.export` writes the DataFrames it hands to Pipewright (main/python/mage-handoff.ts). */
  handoff?: { dir: string; format: ExchangeFormat };
  /** Rows per batch for parameters typed Iterator[pd.DataFrame]. */
  batchRows?: number;
  /** A dynamic block: Mage's `[items, metadata]` return becomes one row per item (main/python/py/pw_mage.py). */
  dynamic?: true;
  /** A child of a Mage-style dynamic block: its item and metadata as JSON text, and its 0-based index. */
  mageItem?: { upstream: string; item: string; metadata: string; index: number };
}

const BIGINT_MARK = '\u0000pw-bigint:';

/**
 * The job as JSON. Variables and dynamic items may hold DuckDB BIGINTs: they are written as plain JSON numbers with
 * all their digits, which Python's json reads back as exact ints (JSON.stringify alone cannot write a bigint).
 */
export function jobJson(job: HarnessJob): string {
  const text = JSON.stringify(job, (_key, value: unknown) => (typeof value === 'bigint' ? `${BIGINT_MARK}${value.toString()}` : value));
  return text.replace(/"\\u0000pw-bigint:(-?\d+)"/g, '$1');
}

/** A DataFrame a Mage block exported with mage_ai.io, written as an exchange file for one of our exporters to load. */
export interface MageHandoff {
  /** The export kind: postgres, gcs or bigquery. */
  kind: string;
  /** That kind's config (connection included), as the Python side built it from the call's arguments. */
  config: Record<string, unknown>;
  path: string;
  format: ExchangeFormat;
  columns: unknown;
  rows: number;
}

/** What the harness reports when the function returned. */
export interface HarnessResult {
  rows: number | null;
  columns: unknown;
  tests: BlockTestResult[];
  handoffs: MageHandoff[];
  /** What a @condition or @sensor function returned. */
  value?: boolean;
}

interface HarnessTest {
  name: string;
  passed: boolean;
  message?: string;
  file?: string;
  line?: number;
}

/** Why the block failed, as pw_harness.py reports it. */
interface HarnessFailure {
  t: 'error';
  /** The exception and the user's frames (or the harness's own words for a misused block file). */
  message: string;
  file?: string;
  line?: number;
  column?: number;
  /** Set when the exception was a ModuleNotFoundError. */
  missingModule?: string;
  /** Raised outside the user's files: our bug, with the Python traceback in `stack`. */
  internal?: boolean;
  stack?: string;
  /** A network failure or HTTP 429/5xx: retrying may help. */
  transient?: boolean;
}

type HarnessMessage =
  | { t: 'log'; level: string; msg: string }
  | { t: 'result'; rows: number | null; columns: unknown; tests: HarnessTest[]; handoffs?: MageHandoff[]; value?: boolean }
  | HarnessFailure;

/** A block that prints without end must not flood the run's history: past this many lines, output is counted only. */
const MAX_LOG_LINES = 5000;
const MAX_LINE_CHARS = 4000;

/**
 * Runs pw_harness.py on `jobFile`: log messages stream to ctx.log as they come, and the harness's error becomes a
 * UserError placed in the user's file and line (an OperationalError when retrying may help). Cancellation and
 * timeouts (ctx.signal) kill the process group.
 */
export async function runHarness(
  ctx: BlockContext,
  interpreter: PythonInterpreter,
  helpersDir: string,
  jobFile: string,
): Promise<HarnessResult> {
  let final: HarnessMessage | undefined;
  let logged = 0;
  const log = (level: string, text: string) => {
    logged++;
    if (logged <= MAX_LOG_LINES) ctx.log(logLevelOf(level), text.length > MAX_LINE_CHARS ? `${text.slice(0, MAX_LINE_CHARS)}…` : text);
  };
  const exit = await runPython({
    interpreter,
    args: [path.join(helpersDir, 'pw_harness.py'), jobFile],
    cwd: ctx.project.dir,
    signal: ctx.signal,
    block: ctx.block.id,
    onStdoutLine: (line) => {
      const message = parseMessage(line);
      if (!message) return log('info', line);
      if (message.t === 'log') return log(message.level, message.msg);
      final = message;
    },
    // Output written straight to file descriptors 1 and 2 (C extensions, subprocesses).
    onStderrLine: (line) => log('warn', line),
  });
  if (logged > MAX_LOG_LINES) ctx.log('warn', `${(logged - MAX_LOG_LINES).toLocaleString('en-US')} more lines of output were not kept`);
  const done = final as HarnessMessage | undefined;
  if (done?.t === 'result') {
    return {
      rows: done.rows,
      columns: done.columns,
      tests: done.tests.map((t) => testResult(t)),
      handoffs: done.handoffs ?? [],
      ...(done.value !== undefined ? { value: done.value } : {}),
    };
  }
  if (done?.t === 'error') throw harnessError(done, ctx, interpreter);
  const how = exit.signal
    ? `was killed (${exit.signal}${exit.signal === 'SIGKILL' ? ', out of memory?' : ''})`
    : `exited with code ${exit.code}`;
  const said = exit.stderrTail.slice(-5).join('\n');
  throw new UserError(`the Python process ${how} before the block finished${said ? `:\n${said}` : ''}`, {
    block: ctx.block.id,
    file: ctx.block.code?.relPath,
  });
}

function parseMessage(line: string): HarnessMessage | undefined {
  if (!line.startsWith('{"t": ')) return undefined;
  try {
    return JSON.parse(line) as HarnessMessage;
  } catch {
    return undefined; // not one of ours after all: it is shown as output
  }
}

function testResult(test: HarnessTest): BlockTestResult {
  if (test.passed) return { name: test.name, passed: true };
  const where = test.file ? ` (${[test.file, test.line].filter((p) => p !== undefined).join(':')})` : '';
  return { name: test.name, passed: false, message: `${test.message ?? 'failed'}${where}` };
}

function harnessError(error: HarnessFailure, ctx: BlockContext, interpreter: PythonInterpreter): Error {
  if (error.internal) {
    // Our bug, not the user's: an internal error keeps the Python traceback as its stack.
    const bug = new Error(`Pipewright's Python harness failed: ${error.message}`);
    if (error.stack) bug.stack = `${bug.message}\n${error.stack}`;
    return bug;
  }
  const place: ErrorPlace = { block: ctx.block.id, file: error.file ?? ctx.block.code?.relPath };
  if (error.line) place.line = error.line;
  if (error.column) place.column = error.column;
  if (error.missingModule) {
    const hint = pipInstallHint(interpreter, error.missingModule);
    return new UserError(`block ${ctx.block.id} needs ${error.missingModule}: \`${hint}\`\n${error.message}`, place);
  }
  // A network failure or an HTTP 429/5xx inside the user's code is the world's: the block's retry: applies.
  if (error.transient) return new OperationalError(error.message, { place });
  return new UserError(error.message, place);
}
