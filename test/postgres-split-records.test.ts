import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { findRecordEnd, splitRecords } from '../main/postgres/split-records.ts';

/** A sink that keeps what it receives, slowly when `delayMs` is set, and fails on its `failAt`-th write. */
function collectingSink(opts: { delayMs?: number; failAt?: number; highWaterMark?: number } = {}) {
  const chunks: Buffer[] = [];
  let writes = 0;
  const sink = new Writable({
    highWaterMark: opts.highWaterMark ?? 16,
    write(chunk: Buffer, _encoding, callback) {
      writes += 1;
      if (writes === opts.failAt) return callback(new Error('the COPY connection died'));
      chunks.push(chunk);
      setTimeout(callback, opts.delayMs ?? 0);
    },
  });
  return { sink, text: () => Buffer.concat(chunks).toString('utf8') };
}

/** Splits a text into CSV records the simple way (valid only for the test inputs, which the test controls). */
function recordsOf(text: string): string[] {
  return text.match(/(?:"(?:[^"]|"")*"|[^"\n])*\n|(?:"(?:[^"]|"")*"|[^"\n])+$/g) ?? [];
}

test('finds the last record end outside quotes, and carries the quote state across chunks', () => {
  assert.deepEqual(findRecordEnd(Buffer.from('a,1\nb,2\nc,'), false), { end: 8, isInQuotes: false });
  assert.deepEqual(findRecordEnd(Buffer.from('a,"x\ny"\nb,"p'), false), { end: 8, isInQuotes: true });
  assert.deepEqual(
    findRecordEnd(Buffer.from('q\nr"\ns,1\n'), true),
    { end: 9, isInQuotes: false },
    'the first newline is inside the open quote',
  );
  assert.deepEqual(findRecordEnd(Buffer.from('a,"say ""hi""\n"\n'), false), { end: 16, isInQuotes: false });
  assert.deepEqual(findRecordEnd(Buffer.from('no newline'), false), { end: 0, isInQuotes: false });
});

test('deals whole records to every sink, never splitting one, including quoted newlines and a last record without newline', async () => {
  const lines = Array.from({ length: 2000 }, (_, i) =>
    i % 7 === 0 ? `${i},"two\nlines, ""quoted"""\n` : `${i},plain text ${'x'.repeat(i % 13)}\n`,
  );
  const text = `${lines.join('')}last,"no newline"`;
  const bytes = Buffer.from(text);
  // Tiny source chunks cut records (and quoted fields) everywhere.
  const source = Readable.from(
    (function* () {
      for (let i = 0; i < bytes.length; i += 37) yield bytes.subarray(i, i + 37);
    })(),
  );
  const sinks = [collectingSink({ delayMs: 1 }), collectingSink(), collectingSink({ delayMs: 2 })];
  let reported = 0;
  await splitRecords(
    source,
    sinks.map((s) => s.sink),
    (done) => (reported = done),
  );
  const received = sinks.map((s) => recordsOf(s.text()));
  assert.ok(
    received.every((records) => records.length > 0),
    `every sink got records: ${received.map((r) => r.length).join(', ')}`,
  );
  assert.deepEqual(received.flat().sort(), recordsOf(text).sort(), 'the sinks together hold exactly the input records');
  assert.equal(received.flat().length, 2001);
  assert.equal(reported, bytes.length);
});

test('a failing sink destroys the others and the source, and the failure is thrown', async () => {
  const rows = Buffer.from(Array.from({ length: 5000 }, (_, i) => `${i},row\n`).join(''));
  const source = Readable.from(
    (function* () {
      for (let i = 0; i < rows.length; i += 100) yield rows.subarray(i, i + 100);
    })(),
  );
  const healthy = collectingSink({ delayMs: 1 });
  const dying = collectingSink({ failAt: 3 });
  await assert.rejects(
    splitRecords(source, [healthy.sink, dying.sink], () => undefined),
    /the COPY connection died/,
  );
  assert.equal(healthy.sink.destroyed, true, 'the other COPY is aborted, not finished');
  assert.equal(source.destroyed, true);
});
