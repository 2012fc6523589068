import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import type { Readable, Writable } from 'node:stream';

const NEWLINE = 0x0a;
const QUOTE = 0x22;

/**
 * Where the last complete CSV record of `chunk` ends (the index after its newline, or 0 when none ends here) and
 * whether the chunk ends inside a quoted field. A newline inside quotes is data, not a record end; a doubled quote
 * (`""`) toggles the state twice, so counting quotes is enough.
 */
export function findRecordEnd(chunk: Buffer, isInQuotes: boolean): { end: number; isInQuotes: boolean } {
  let end = 0;
  let inQuotes = isInQuotes;
  let from = 0;
  while (from <= chunk.length) {
    const quote = chunk.indexOf(QUOTE, from);
    const segmentEnd = quote === -1 ? chunk.length : quote;
    if (!inQuotes && segmentEnd > from) {
      const newline = chunk.lastIndexOf(NEWLINE, segmentEnd - 1);
      if (newline >= from) end = newline + 1;
    }
    if (quote === -1) break;
    inQuotes = !inQuotes;
    from = quote + 1;
  }
  return { end, isInQuotes: inQuotes };
}

/**
 * Deals the CSV records of `source` out to `sinks` in slices of whole records, each slice to a sink with room
 * (so a slower COPY gets less), then ends every sink and waits for each to finish. A record never straddles two
 * sinks. On the first failure of the source or any sink, every sink is destroyed (a COPY stream then aborts its
 * COPY) and the failure is thrown.
 */
export async function splitRecords(source: Readable, sinks: Writable[], onBytes: (done: number) => void): Promise<void> {
  await dealSlices(recordSlices(source, onBytes), sinks, {}, () => source.destroy());
}

/**
 * Deals binary COPY tuples out to `sinks` as `splitRecords` deals CSV: each buffer of `tuples` holds whole tuples
 * and goes to one sink; every sink gets the binary header first and the trailer last.
 */
export async function splitTuples(
  tuples: AsyncIterable<Buffer>,
  sinks: Writable[],
  frame: { header: Buffer; trailer: Buffer },
): Promise<void> {
  await dealSlices(tuples, sinks, frame, () => undefined);
}

/** Slices of whole CSV records: a record split across chunks is carried over to the next slice. */
async function* recordSlices(source: Readable, onBytes: (done: number) => void): AsyncGenerator<Buffer> {
  let carry: Buffer = Buffer.alloc(0);
  let isInQuotes = false;
  let done = 0;
  for await (const chunk of source as AsyncIterable<Buffer>) {
    done += chunk.length;
    const data = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    // Only the new bytes are scanned: the carried ones were, and `isInQuotes` is their end state.
    const scanned = findRecordEnd(chunk, isInQuotes);
    isInQuotes = scanned.isInQuotes;
    const end = scanned.end === 0 ? 0 : carry.length + scanned.end;
    if (end > 0) yield data.subarray(0, end);
    carry = data.subarray(end);
    onBytes(done);
  }
  // A last record without a trailing newline is still a record.
  if (carry.length) yield carry;
}

async function dealSlices(
  slices: AsyncIterable<Buffer>,
  sinks: Writable[],
  frame: { header?: Buffer; trailer?: Buffer },
  stopSource: () => void,
): Promise<void> {
  let sinkFailure: Error | undefined;
  const failed = new Promise<never>((_resolve, reject) => {
    for (const sink of sinks) {
      sink.on('error', (error: Error) => {
        sinkFailure ??= error;
        reject(error);
      });
    }
  });
  failed.catch(() => undefined); // observed where it matters: it wins the races below, and the loop checks sinkFailure
  try {
    if (frame.header) for (const sink of sinks) sink.write(frame.header);
    for await (const slice of slices) {
      if (sinkFailure) throw sinkFailure;
      await writeToRoomiest(sinks, slice, failed);
    }
    if (sinkFailure) throw sinkFailure;
    await Promise.race([Promise.all(sinks.map((sink) => finished(frame.trailer ? sink.end(frame.trailer) : sink.end()))), failed]);
  } catch (error) {
    for (const sink of sinks) sink.destroy(error as Error);
    stopSource();
    throw error;
  }
}

async function writeToRoomiest(sinks: Writable[], slice: Buffer, failed: Promise<never>): Promise<void> {
  let sink = sinks.find((s) => !s.writableNeedDrain);
  while (!sink) {
    const stopWaiting = new AbortController();
    const drained = sinks.map((s) => once(s, 'drain', { signal: stopWaiting.signal }));
    try {
      await Promise.race([...drained, failed]);
    } finally {
      stopWaiting.abort();
      for (const wait of drained) wait.catch(() => undefined); // the losers reject with AbortError: nothing to report
    }
    sink = sinks.find((s) => !s.writableNeedDrain);
  }
  sink.write(slice);
}
