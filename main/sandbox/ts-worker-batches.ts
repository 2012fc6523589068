/**
 * The worker's half of a TypeScript block that works in record batches (its function is an async generator): inputs
 * are pulled from the parent a part at a time and yielded batches are sent back in parts, each acknowledged before
 * the next is sent, so neither side holds more than a part or two, whatever the table's size. Imports only types.
 */
import type * as Arrow from 'apache-arrow';

/** Rows gathered from the block's yielded batches before they are sent to the parent as one message. */
export const ROWS_PER_PART = 16_384;

/** What the parent answers mid-job. */
export type ParentReply =
  { type: 'tables'; inputs: { id: string; ipc: Uint8Array }[] } | { type: 'part'; id: string; ipc: Uint8Array | null } | { type: 'ack' };

/** What the worker asks mid-job: which input mode its function wants, the next part of an input, or to write one. */
export type WorkerRequest = { type: 'mode'; batches: boolean } | { type: 'pull'; id: string } | { type: 'out'; ipc: Uint8Array };

type Post = (message: WorkerRequest | { type: 'streamed' } | { type: 'invalid'; message: string }, transfer?: ArrayBuffer[]) => void;

/** Replies of the parent, awaited by kind (one outstanding pull per input, one outstanding write). */
export class ReplyBox {
  private readonly waiting = new Map<string, (reply: ParentReply) => void>();

  /**
   * `keepAlive(true)` while a reply is awaited: the port is referenced only then, so a block that waits on a promise
   * that can never settle still lets the worker end (and the parent say so) instead of hanging.
   */
  constructor(private readonly keepAlive: (isWaiting: boolean) => void) {}

  /** Resolves with the parent's next reply of this key (`tables`, `ack`, or an input id for its parts). */
  next(key: string): Promise<ParentReply> {
    this.keepAlive(true);
    return new Promise((resolve) => this.waiting.set(key, resolve));
  }

  deliver(reply: ParentReply): void {
    const key = reply.type === 'part' ? reply.id : reply.type;
    const resolve = this.waiting.get(key);
    this.waiting.delete(key);
    if (this.waiting.size === 0) this.keepAlive(false);
    resolve?.(reply);
  }
}

/**
 * An input as record batches. The next part is asked of the parent as soon as one arrives, so the parent reads it
 * from DuckDB while the block works on this one: at most two parts of an input are held at a time.
 */
async function* pullBatches(id: string, arrow: typeof Arrow, box: ReplyBox, post: Post): AsyncGenerator<Arrow.RecordBatch> {
  const pull = () => {
    const reply = box.next(id);
    post({ type: 'pull', id });
    return reply;
  };
  let reply = pull();
  for (;;) {
    const part = await reply;
    if (part.type !== 'part' || part.ipc === null) return;
    reply = pull();
    yield* arrow.tableFromIPC(part.ipc).batches;
  }
}

/**
 * Runs an async-generator block: inputs as async iterables of RecordBatches keyed by block id; what it yields
 * (RecordBatches or Tables) is written to the output as it comes. Posts `streamed` when done.
 */
export async function runBatches(
  fn: (inputs: unknown, ctx: unknown) => AsyncIterable<unknown>,
  ids: string[],
  ctx: unknown,
  arrow: typeof Arrow,
  box: ReplyBox,
  post: Post,
): Promise<void> {
  const inputs = Object.fromEntries(ids.map((id) => [id, pullBatches(id, arrow, box, post)]));
  let pending: Arrow.RecordBatch[] = [];
  let rows = 0;
  const send = async () => {
    const bytes = arrow.tableToIPC(new arrow.Table(pending), 'stream');
    // Transferred: it must own its whole buffer.
    const ipc = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
    pending = [];
    rows = 0;
    const ack = box.next('ack');
    post({ type: 'out', ipc }, [ipc.buffer as ArrayBuffer]);
    await ack;
  };
  let index = 0;
  for await (const item of fn(inputs, ctx)) {
    if (!(item instanceof arrow.RecordBatch) && !(item instanceof arrow.Table)) {
      return post({
        type: 'invalid',
        message: `item ${index + 1} the block yielded is ${describeItem(item)}; yield apache-arrow RecordBatches (or Tables)`,
      });
    }
    // One part holds one schema: a batch with other columns is sent on its own, and the parent says what changed.
    if (pending.length > 0 && schemaKey(pending[0]!.schema) !== schemaKey(item.schema)) await send();
    pending.push(...(item instanceof arrow.Table ? item.batches : [item]));
    rows += item.numRows;
    index++;
    if (rows >= ROWS_PER_PART) await send();
  }
  if (pending.length > 0) await send();
  post({ type: 'streamed' });
}

function schemaKey(schema: Arrow.Schema): string {
  return schema.fields.map((f) => `${f.name}:${String(f.type)}`).join(',');
}

function describeItem(item: unknown): string {
  if (item === null || item === undefined) return String(item);
  if (Array.isArray(item)) return `an array of ${item.length}`;
  const ctor = typeof item === 'object' ? (item as object).constructor?.name : undefined;
  return ctor && ctor !== 'Object' ? `a ${ctor}` : `a ${typeof item}`;
}
