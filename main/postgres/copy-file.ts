import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import { createWriteStream } from 'node:fs';
import type { CsvSource } from './csv-pipe.ts';

/** Streams CSV (no header) into `COPY <target> FROM STDIN`; resolves to the row count of COPY's command tag. */
export async function copyCsvIn(client: pg.Client, target: string, source: CsvSource, onBytes: (done: number, total?: number) => void): Promise<number> {
  const copy = client.query(copyFrom(`COPY ${target} FROM STDIN (FORMAT csv)`));
  await pipeline(source.stream, byteCounter(source.totalBytes, onBytes), copy);
  return copy.rowCount;
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
