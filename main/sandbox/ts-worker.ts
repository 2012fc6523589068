/**
 * Worker-thread entry that runs one compiled TypeScript block (or block test) and reports back to ts-runner.ts.
 * It imports only Node built-ins and loads apache-arrow from the path the parent resolved, so it runs the same
 * from source under tsx and as a bundled file.
 */
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { format } from 'node:util';
import { parentPort, workerData } from 'node:worker_threads';
import type * as Arrow from 'apache-arrow';
import { ReplyBox, runBatches, type ParentReply, type WorkerRequest } from './ts-worker-batches.ts';

export type WorkerLogLevel = 'debug' | 'info' | 'warn' | 'error';

/** What the parent asks of the worker (sent as workerData; input bytes are transferred, not copied). */
export interface WorkerJob {
  mode: 'transform' | 'test';
  /** Compiled CommonJS code, and where to write it so its inline source map resolves to the .ts sources. */
  code: string;
  codeFile: string;
  /** Export names to try in order; `default` is the default export. */
  exportNames: string[];
  /** Absolute path of the apache-arrow module the compiled code requires. */
  arrowPath: string;
  /** Upstream outputs (transform) or the block's output (test), as Arrow IPC stream bytes. */
  inputs: { id: string; ipc: Uint8Array }[];
  /**
   * Set instead of `inputs` when the parent reads inputs only once the function is known: the worker says which mode
   * it wants (`mode`), then gets whole tables (`tables`) or pulls record batches (an async-generator function).
   */
  inputIds?: string[];
  context: { variables: Record<string, unknown>; blockId: string; runId: string };
}

/** Everything the worker posts back; all but `log` end the job. */
export type WorkerMessage =
  | { type: 'log'; level: WorkerLogLevel; message: string }
  | WorkerRequest
  /** An async-generator block finished: every part it yielded was sent (`out`) and acknowledged. */
  | { type: 'streamed' }
  | { type: 'table'; ipc: Uint8Array }
  | { type: 'rows'; rows: Record<string, unknown>[] }
  | { type: 'done' }
  /** The user's code threw; `stack` is source-mapped to the .ts files. */
  | { type: 'threw'; message: string; stack?: string; permanent?: boolean }
  /** The user's code is unusable as written (missing export, bad return value). */
  | { type: 'invalid'; message: string };

const port = parentPort;
if (port) {
  const box = new ReplyBox((isWaiting) => (isWaiting ? port.ref() : port.unref()));
  port.on('message', (reply: ParentReply) => box.deliver(reply));
  port.unref();
  void main(workerData as WorkerJob, (message, transfer) => port.postMessage(message, transfer ?? []), box);
}

async function main(job: WorkerJob, post: (message: WorkerMessage, transfer?: ArrayBuffer[]) => void, box: ReplyBox): Promise<void> {
  captureConsole(post);
  // Stray promises of the block still fail it, rather than crashing the worker without a place.
  process.on('uncaughtException', (err) => post(threwMessage(err)));
  process.on('unhandledRejection', (reason) => post(threwMessage(reason)));
  try {
    const require = createRequire(import.meta.url);
    const arrow = require(job.arrowPath) as typeof Arrow;
    const fn = loadFunction(job, require);
    if (typeof fn === 'string') return post({ type: 'invalid', message: fn });
    const ctx = { ...job.context, log: (message: unknown) => post({ type: 'log', level: 'info', message: String(message) }) };
    if (job.inputIds && isAsyncGeneratorFunction(fn)) {
      post({ type: 'mode', batches: true });
      return await runBatches(fn as (inputs: unknown, ctx: unknown) => AsyncIterable<unknown>, job.inputIds, ctx, arrow, box, post);
    }
    const tables = (await wholeInputs(job, box, post)).map((input) => [input.id, arrow.tableFromIPC(input.ipc)] as const);
    if (job.mode === 'test') {
      await fn(tables[0]?.[1], ctx);
      return post({ type: 'done' });
    }
    const result: unknown = await fn(Object.fromEntries(tables), ctx);
    postResult(result, arrow, post);
  } catch (err) {
    post(threwMessage(err));
  }
}

type UserFunction = (input: unknown, ctx: unknown) => unknown;

/** `async function*`: the block works in record batches. */
function isAsyncGeneratorFunction(fn: UserFunction): boolean {
  return Object.prototype.toString.call(fn) === '[object AsyncGeneratorFunction]';
}

/** The inputs as whole tables: given with the job, or (inputIds) asked of the parent once the mode is known. */
async function wholeInputs(
  job: WorkerJob,
  box: ReplyBox,
  post: (message: WorkerMessage) => void,
): Promise<{ id: string; ipc: Uint8Array }[]> {
  if (!job.inputIds) return job.inputs;
  const reply = box.next('tables');
  post({ type: 'mode', batches: false });
  const tables = await reply;
  return tables.type === 'tables' ? tables.inputs : [];
}

/** Writes and requires the compiled code, then picks the export; a string is what is wrong with it. */
function loadFunction(job: WorkerJob, require: NodeJS.Require): UserFunction | string {
  // Must precede the require: Node reads a module's source map when it loads it.
  process.setSourceMapsEnabled(true);
  writeFileSync(job.codeFile, job.code);
  const mod = require(job.codeFile) as Record<string, unknown>;
  const name = job.exportNames.find((n) => mod[n] !== undefined);
  const wanted = job.exportNames.map(exportLabel).join(' or ');
  if (name === undefined) {
    const found = Object.keys(mod).map((n) => (n === 'default' ? 'a default export' : n));
    return `the file has no ${wanted}; it exports ${found.length ? found.join(', ') : 'nothing'}`;
  }
  const fn = mod[name];
  if (typeof fn !== 'function') return `the file's ${exportLabel(name)} is ${describe(fn)}, not a function`;
  return fn as UserFunction;
}

function exportLabel(name: string): string {
  return name === 'default' ? 'default export' : `export named ${name}`;
}

function postResult(result: unknown, arrow: typeof Arrow, post: (message: WorkerMessage, transfer?: ArrayBuffer[]) => void): void {
  if (result instanceof arrow.Table) {
    const ipc = arrow.tableToIPC(result, 'stream');
    return post({ type: 'table', ipc }, [ipc.buffer as ArrayBuffer]);
  }
  const expected = 'return an apache-arrow Table or an array of row objects';
  if (!Array.isArray(result)) {
    const hint = result === undefined ? ' (is a return statement missing?)' : '';
    return post({ type: 'invalid', message: `the block returned ${describe(result)}${hint}; ${expected}` });
  }
  const bad = result.findIndex((row) => typeof row !== 'object' || row === null || Array.isArray(row));
  if (bad >= 0) {
    return post({
      type: 'invalid',
      message: `row ${bad} of the returned array is ${describe(result[bad])}; ${expected} such as [{ id: 1, name: 'a' }]`,
    });
  }
  const rows = result.map((row) => toPlain(row) as Record<string, unknown>);
  try {
    post({ type: 'rows', rows });
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    post({
      type: 'invalid',
      message: `the returned rows hold values that cannot leave the worker (${why}); use plain values: numbers, strings, booleans, bigints, dates, null`,
    });
  }
}

/** Arrow rows and vectors (proxies that cannot be structured-cloned) become plain objects and arrays. */
function toPlain(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || value instanceof Date || ArrayBuffer.isView(value)) return value;
  const json = (value as { toJSON?: unknown }).toJSON;
  if (typeof json === 'function') return toPlain(json.call(value));
  if (Array.isArray(value)) return value.map(toPlain);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toPlain(v)]));
}

function threwMessage(err: unknown): WorkerMessage {
  if (!(err instanceof Error)) return { type: 'threw', message: `the code threw ${describe(err)}` };
  const message = err.name && err.name !== 'Error' ? `${err.name}: ${err.message}` : err.message;
  // PermanentError (from 'pipewright') or any error the code flags `permanent: true`: retrying cannot help.
  const permanent = (err as { permanent?: unknown }).permanent === true || err.name === 'PermanentError';
  return { type: 'threw', message, ...(err.stack === undefined ? {} : { stack: err.stack }), ...(permanent ? { permanent } : {}) };
}

/** A short description of a value for error messages: `undefined`, `a number (5)`, `an object with keys a, b`. */
function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  switch (typeof value) {
    case 'string':
      return `a string (${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)})`;
    case 'number':
    case 'bigint':
    case 'boolean':
      return `a ${typeof value} (${String(value)})`;
    case 'function':
      return 'a function';
    case 'object': {
      const ctor = (value as object).constructor?.name;
      if (ctor && ctor !== 'Object') return `a ${ctor}`;
      const keys = Object.keys(value as object);
      return keys.length ? `an object with keys ${keys.slice(0, 5).join(', ')}` : 'an empty object';
    }
    default:
      return `a ${typeof value}`;
  }
}

/** console output of the block becomes log messages of the run instead of text on the app's stdout. */
function captureConsole(post: (message: WorkerMessage) => void): void {
  const levels: [keyof Console, WorkerLogLevel][] = [
    ['log', 'info'],
    ['info', 'info'],
    ['debug', 'debug'],
    ['warn', 'warn'],
    ['error', 'error'],
  ];
  for (const [method, level] of levels) {
    (console as unknown as Record<string, unknown>)[method] = (...args: unknown[]) =>
      post({ type: 'log', level, message: format(...args) });
  }
}
