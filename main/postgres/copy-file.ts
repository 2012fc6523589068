import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { createWriteStream } from 'node:fs';
import type { CsvSource } from './csv-pipe.ts';
import { BINARY_COPY_HEADER, BINARY_COPY_TRAILER } from './binary-copy.ts';

/** Streams CSV (no header) into `COPY <target> FROM STDIN`; resolves to the row count of COPY's command tag. */
export async function copyCsvIn(
  client: pg.Client,
  target: string,
  source: CsvSource,
  onBytes: (done: number, total?: number) => void,
): Promise<number> {
  const copy = client.query(copyFrom(`COPY ${target} FROM STDIN (FORMAT csv)`));
  await pipeline(source.stream, byteCounter(source.totalBytes, onBytes), copy);
  return copy.rowCount;
}

/** Streams binary COPY tuples (header and trailer added here) into `COPY <target> FROM STDIN (FORMAT binary)`; resolves to the rows loaded. */
export async function copyBinaryIn(
  client: pg.Client,
  target: string,
  tuples: AsyncIterable<Buffer>,
  onBytes: (done: number) => void,
): Promise<number> {
  const copy = client.query(copyFrom(`COPY ${target} FROM STDIN (FORMAT binary)`));
  await pipeline(Readable.from(framed(tuples), { objectMode: false }), byteCounter(undefined, onBytes), copy);
  return copy.rowCount;
}

async function* framed(tuples: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  yield BINARY_COPY_HEADER;
  yield* tuples;
  yield BINARY_COPY_TRAILER;
}

/** Streams `COPY (<query>) TO STDOUT (FORMAT csv)` into a file; resolves to the rows Postgres wrote. */
export async function copyCsvOut(client: pg.Client, query: string, file: string, onBytes: (done: number) => void): Promise<number> {
  const copy = client.query(copyTo(`COPY (${query}) TO STDOUT (FORMAT csv)`));
  await pipeline(copy, byteCounter(undefined, onBytes), createWriteStream(file));
  return copy.rowCount;
}

function byteCounter(total: number | undefined, onBytes: (done: number, total?: number) => void): Transform {
  let done = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      done += chunk.length;
      onBytes(done, total);
      callback(null, chunk);
    },
  });
}
