import { execFile } from 'node:child_process';
import { closeSync, constants, createReadStream, openSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';

/** The CSV as a stream, and its size when known in advance (a file; not a pipe). */
export interface CsvSource {
  stream: Readable;
  totalBytes?: number;
}

/**
 * Runs `write(path)` (DuckDB's `COPY … TO path`) and `read(source)` together through a FIFO, so Postgres loads rows
 * while DuckDB still writes them and no file of the whole table is ever written. Where there are no FIFOs
 * (Windows), DuckDB writes a temp file first. If `read` stops early, the pipe is closed and `interruptWriter` stops
 * DuckDB. Resolves to what `read` resolved to; rejects with the first failure of either side.
 */
export async function pipeCsv<T>(
  tempDir: string,
  write: (target: string) => Promise<unknown>,
  read: (source: CsvSource) => Promise<T>,
  interruptWriter: () => void,
): Promise<T> {
  if (process.platform === 'win32') {
    const file = path.join(tempDir, 'export.csv');
    await write(file);
    return read({ stream: createReadStream(file, { highWaterMark: 1 << 20 }), totalBytes: (await stat(file)).size });
  }
  const fifo = path.join(tempDir, 'export.pipe');
  await promisify(execFile)('mkfifo', ['-m', '600', fifo]);
  // All ends are opened here, without blocking (O_NONBLOCK opens of a FIFO return at once). DuckDB's own open for
  // writing blocks until a reader exists: `guardFd` is a second reader held until DuckDB is done, so that open never
  // hangs even when the loader stops before reading; `keepOpen` stops the reader seeing end-of-file before DuckDB
  // has opened the pipe. The socket owns `readFd`.
  const readFd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const guardFd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const keepOpen = await open(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  const stream = new net.Socket({ fd: readFd, readable: true, writable: false });
  // If the process exits mid-load (an uncaught exception, process.exit), nothing reads the pipe any more and DuckDB's
  // write blocks forever in a worker thread that exit waits for: the process hangs with the COPY transaction open.
  // Closing our read ends makes that write fail (EPIPE), so the process ends and Postgres rolls the COPY back.
  const closeReadersOnExit = () => {
    for (const fd of [readFd, guardFd]) closeQuietly(fd);
  };
  process.once('exit', closeReadersOnExit);
  let firstFailure: unknown;
  let isDraining = false;
  const note = (error: unknown) => {
    firstFailure ??= error;
    throw error;
  };
  const writing = write(fifo)
    .catch(note)
    .finally(() => keepOpen.close());
  const reading = read({ stream }).catch(note);
  const [, result] = await Promise.allSettled([
    writing,
    reading.finally(() => {
      if (stream.readableEnded) return;
      // The loader stopped early (failed, or had nothing to load): discard the rest through the guard reader, so
      // DuckDB neither blocks on a full pipe nor waits for a reader, and interrupt it.
      isDraining = true;
      stream.destroy();
      drain(guardFd);
      interruptWriter();
    }),
  ]);
  process.off('exit', closeReadersOnExit);
  if (!isDraining) closeSync(guardFd);
  await keepOpen.close().catch(() => undefined); // closed already when DuckDB finished
  if (result.status === 'fulfilled') return result.value;
  throw firstFailure;
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed by its socket: that end is not blocking anyone.
  }
}

function drain(fd: number): void {
  const sink = new net.Socket({ fd, readable: true, writable: false });
  sink.on('error', () => undefined); // discarding: a read error changes nothing
  sink.resume();
}
