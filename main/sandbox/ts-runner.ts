import { mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CancelledError, UserCodeError, UserError, type ErrorPlace } from '../model/errors.ts';
import type { BlockContext } from '../model/block-kind.ts';
import { arrowEntryPath, compileTypeScript, type TypeScriptSource } from './ts-compile.ts';
import type { WorkerJob, WorkerMessage } from './ts-worker.ts';
import type { ParentReply, WorkerRequest } from './ts-worker-batches.ts';

/** What a finished job hands back: the block's result, (tests) just that it returned, or that it streamed its output. */
export type TypeScriptResult =
  { type: 'table'; ipc: Uint8Array } | { type: 'rows'; rows: Record<string, unknown>[] } | { type: 'done' } | { type: 'streamed' };

/**
 * The parent's side of a job whose inputs are read once the function is known (`inputIds`): answers the worker's
 * requests mid-job. A rejection fails the job (the worker is terminated).
 */
export type WorkerConversation = (request: WorkerRequest, reply: (message: ParentReply, transfer?: ArrayBuffer[]) => void) => Promise<void>;

export interface TypeScriptRun {
  ctx: BlockContext;
  source: TypeScriptSource;
  mode: WorkerJob['mode'];
  /** Export names to try in order (`default` is the default export). */
  exportNames: string[];
  /** Arrow IPC stream bytes per input; their buffers are transferred to the worker (unusable here afterwards). */
  inputs: { id: string; ipc: Uint8Array }[];
  /** Instead of `inputs`: the input ids, read through `conversation` when the worker asks. */
  lazyInputs?: { ids: string[]; conversation: WorkerConversation };
}

/**
 * Compiles `source` and runs its export in a fresh worker thread. Resolves with the result; rejects with a UserError
 * placed in the user's .ts file when the code does not compile, throws or returns the wrong thing, and with the abort
 * reason (or a CancelledError) as soon as `ctx.signal` aborts. No worker or temp file outlives the call.
 */
export async function runTypeScript(run: TypeScriptRun): Promise<TypeScriptResult> {
  const { ctx, source } = run;
  if (ctx.signal.aborted) throw stopReason(ctx.signal);
  const dir = await mkdtemp(path.join(ctx.tempDir, 'ts-'));
  try {
    const codeFile = path.join(dir, `${path.basename(source.relPath, path.extname(source.relPath))}.cjs`);
    const code = await compileTypeScript(source, { projectDir: ctx.project.dir, outFile: codeFile, block: ctx.block.id });
    if (ctx.signal.aborted) throw stopReason(ctx.signal);
    const job: WorkerJob = {
      mode: run.mode,
      code,
      codeFile,
      exportNames: run.exportNames,
      arrowPath: arrowEntryPath(),
      inputs: run.inputs,
      ...(run.lazyInputs ? { inputIds: run.lazyInputs.ids } : {}),
      context: { variables: ctx.variables, blockId: ctx.block.id, runId: ctx.runId },
    };
    const reply = await runWorker(job, ctx.signal, (level, message) => ctx.log(level, message), run.lazyInputs?.conversation);
    return toResult(reply, ctx, source);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The signal's reason when it is a real error (the engine's TimeoutError); a plain abort() means cancelled. */
function stopReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  const isPlainAbort = reason instanceof DOMException && reason.name === 'AbortError';
  return reason instanceof Error && !isPlainAbort ? reason : new CancelledError();
}

/**
 * Where the worker entry is and how to start it. From source (tests, `npm start` under tsx) it is ts-worker.ts and
 * needs tsx in the worker too; in a bundled build this module is part of the main bundle and the build must emit
 * the worker as its own entry, `ts-worker.js`, next to that bundle.
 */
export function workerEntry(moduleUrl: string = import.meta.url): { file: URL; execArgv: string[] } {
  const fromSource = moduleUrl.endsWith('.ts');
  return {
    file: new URL(fromSource ? './ts-worker.ts' : './ts-worker.js', moduleUrl),
    // An explicit list: inheriting the parent's flags (Electron's, --test, …) could be refused by the worker.
    execArgv: fromSource ? ['--import', import.meta.resolve('tsx')] : [], // resolved here: the cwd may be any folder
  };
}

type LogSink = (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;
type FinalMessage = Exclude<WorkerMessage, { type: 'log' } | WorkerRequest>;

const REQUESTS: ReadonlySet<string> = new Set<WorkerRequest['type']>(['mode', 'pull', 'out']);

/** Runs one job in a new worker; the worker is terminated (and gone) before the promise settles. */
function runWorker(job: WorkerJob, signal: AbortSignal, log: LogSink, conversation?: WorkerConversation): Promise<FinalMessage> {
  return new Promise((resolve, reject) => {
    const entry = workerEntry();
    const worker = new Worker(entry.file, {
      execArgv: entry.execArgv,
      workerData: job,
      transferList: transferablesOf(job.inputs),
    });
    let isSettled = false;
    const settle = (finish: () => void) => {
      if (isSettled) return;
      isSettled = true;
      signal.removeEventListener('abort', onAbort);
      // terminate() stops even a `while (true) {}` at once; settling after it means nothing is left running.
      worker.terminate().then(finish, finish);
    };
    const onAbort = () => settle(() => reject(stopReason(signal)));
    signal.addEventListener('abort', onAbort, { once: true });
    const reply = (message: ParentReply, transfer?: ArrayBuffer[]) => {
      if (!isSettled) worker.postMessage(message, transfer ?? []);
    };
    worker.on('message', (message: WorkerMessage) => {
      if (REQUESTS.has(message.type)) {
        if (!conversation)
          return settle(() => reject(new Error(`the TypeScript worker asked '${message.type}' of a job that reads no inputs lazily`)));
        return void conversation(message as WorkerRequest, reply).catch((err: unknown) => settle(() => reject(err)));
      }
      if (message.type !== 'log') return settle(() => resolve(message as FinalMessage));
      if (!isSettled) log(message.level, message.message);
    });
    // The worker catches the user's errors itself; an 'error' here is a failure to start or run it (our side).
    worker.on('error', (err) => settle(() => reject(err)));
    // The worker ends by itself only when the code waits on nothing (a promise that never settles) or calls process.exit.
    worker.on('exit', (code) =>
      settle(() =>
        resolve({
          type: 'invalid',
          message: `the function never returned: its worker stopped (exit code ${code}) while it waited on a promise that cannot settle, or called process.exit()`,
        }),
      ),
    );
  });
}

/** The input buffers, each once; views of a shared or pooled buffer are copied first so nothing else is detached. */
function transferablesOf(inputs: { ipc: Uint8Array }[]): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const input of inputs) {
    const isWhole = input.ipc.byteOffset === 0 && input.ipc.byteLength === input.ipc.buffer.byteLength;
    if (!isWhole || buffers.has(input.ipc.buffer as ArrayBuffer)) input.ipc = input.ipc.slice();
    buffers.add(input.ipc.buffer as ArrayBuffer);
  }
  return [...buffers];
}

function toResult(reply: FinalMessage, ctx: BlockContext, source: TypeScriptSource): TypeScriptResult {
  switch (reply.type) {
    case 'threw':
      throw new UserCodeError(reply.message, placeFromStack(reply.stack, ctx, source), { permanent: reply.permanent === true });
    case 'invalid':
      throw new UserError(reply.message, { block: ctx.block.id, file: source.relPath });
    default:
      return reply;
  }
}

/**
 * The place of the first stack frame in the project's own sources (the block file or a file it imports), so a
 * throw inside a helper points at the helper; falls back to the block's file without a line.
 */
export function placeFromStack(stack: string | undefined, ctx: BlockContext, source: TypeScriptSource): ErrorPlace {
  for (const frame of (stack ?? '').split('\n')) {
    const loc = parseFrame(frame);
    if (!loc || !isProjectSource(loc.file, ctx)) continue;
    const file = loc.file === source.absPath ? source.relPath : path.relative(ctx.project.dir, loc.file).split(path.sep).join('/');
    return { block: ctx.block.id, file, line: loc.line, column: loc.column };
  }
  return { block: ctx.block.id, file: source.relPath };
}

/** `    at fn (/abs/file.ts:3:7)` or `    at /abs/file.ts:3:7` → its file, line and column. */
function parseFrame(frame: string): { file: string; line: number; column: number } | undefined {
  const match = /^\s*at (?:.*? \()?(.+?):(\d+):(\d+)\)?$/.exec(frame);
  if (!match?.[1]) return undefined;
  const file = match[1].startsWith('file://') ? fileURLToPath(match[1]) : match[1];
  return { file, line: Number(match[2]), column: Number(match[3]) };
}

function isProjectSource(file: string, ctx: BlockContext): boolean {
  const inside = (dir: string) => {
    const rel = path.relative(dir, file);
    return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
  };
  return inside(ctx.project.dir) && !inside(ctx.project.stateDir) && !file.split(path.sep).includes('node_modules');
}
