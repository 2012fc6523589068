import { tableFromIPC, tableToIPC, type Table } from 'apache-arrow';
import type { BlockContext } from '../model/block-kind.ts';
import type { WorkerConversation } from '../sandbox/ts-runner.ts';
import { ROWS_PER_PART } from '../sandbox/ts-worker-batches.ts';

/**
 * The parent's side of a TypeScript transform whose inputs are read once its function is known: whole tables for a
 * plain function, parts of ~16k rows on demand for an async generator, whose output parts are appended as they come.
 */
export interface BatchFeed {
  conversation: WorkerConversation;
  /** After the worker finished: the rows written when it streamed, else undefined (its result is still to write). */
  finish(): Promise<number | undefined>;
  /** After the job failed: stops the output write (rolled back) and the input reads. */
  abandon(error: unknown): Promise<void>;
}

export function createBatchFeed(ctx: BlockContext, ids: readonly string[]): BatchFeed {
  const readers = new Map<string, AsyncIterator<Table>>();
  const output = new Handoff<Table>();
  let writing: Promise<number> | undefined;
  const closeReaders = () => Promise.all([...readers.values()].map((reader) => reader.return?.()));
  const conversation: WorkerConversation = async (request, reply) => {
    switch (request.type) {
      case 'mode': {
        if (request.batches) {
          writing = ctx.data.writeOutputFromArrowBatches(output);
          // A failed write stops the worker: its next part is refused with the write's error.
          writing.catch((error: unknown) => output.fail(error));
          return;
        }
        const inputs = await readWholeInputs(ctx, ids);
        return reply(
          { type: 'tables', inputs },
          inputs.map((input) => input.ipc.buffer as ArrayBuffer),
        );
      }
      case 'pull': {
        let reader = readers.get(request.id);
        if (!reader) readers.set(request.id, (reader = ctx.data.streamArrow(request.id, ROWS_PER_PART)[Symbol.asyncIterator]()));
        const next = await reader.next();
        if (next.done) return reply({ type: 'part', id: request.id, ipc: null });
        const ipc = ownBuffer(tableToIPC(next.value, 'stream'));
        return reply({ type: 'part', id: request.id, ipc }, [ipc.buffer as ArrayBuffer]);
      }
      case 'out':
        await output.put(tableFromIPC(request.ipc));
        return reply({ type: 'ack' });
    }
  };
  return {
    conversation,
    async finish() {
      await closeReaders();
      if (!writing) return undefined;
      output.end();
      return writing;
    },
    async abandon(error) {
      output.fail(error);
      await Promise.allSettled([closeReaders(), writing]);
    },
  };
}

/** Each upstream output as Arrow IPC bytes, in upstream order (a plain function gets whole tables). */
async function readWholeInputs(ctx: BlockContext, ids: readonly string[]): Promise<{ id: string; ipc: Uint8Array }[]> {
  const inputs = [];
  for (const id of ids) inputs.push({ id, ipc: ownBuffer(tableToIPC(await ctx.data.readArrow(id), 'stream')) });
  return inputs;
}

/** Bytes that own their whole buffer, so transferring it to the worker detaches nothing else. */
function ownBuffer(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
}

/**
 * Hands items one at a time from a producer to a consumer that iterates it: put() resolves once the consumer took
 * the item, so at most one waits here while the consumer works on the previous one.
 */
class Handoff<T> implements AsyncIterable<T> {
  private item: { value: T; taken: () => void; refused: (error: unknown) => void } | undefined;
  private wakeConsumer: (() => void) | undefined;
  private isEnded = false;
  private failure: { error: unknown } | undefined;

  put(value: T): Promise<void> {
    if (this.failure) return Promise.reject(this.failure.error);
    return new Promise((taken, refused) => {
      this.item = { value, taken, refused };
      this.wake();
    });
  }

  end(): void {
    this.isEnded = true;
    this.wake();
  }

  fail(error: unknown): void {
    this.failure ??= { error };
    this.item?.refused(error);
    this.item = undefined;
    this.wake();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (;;) {
      if (this.failure) throw this.failure.error;
      const item = this.item;
      if (item) {
        this.item = undefined;
        item.taken();
        yield item.value;
        continue;
      }
      if (this.isEnded) return;
      await new Promise<void>((resolve) => (this.wakeConsumer = resolve));
    }
  }

  private wake(): void {
    const wake = this.wakeConsumer;
    this.wakeConsumer = undefined;
    wake?.();
  }
}
