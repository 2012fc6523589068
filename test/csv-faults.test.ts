import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { UserError } from '../main/model/errors.ts';
import { localFileSource } from '../main/blocks/local-file-source.ts';
import { createHttpFileSource } from '../main/blocks/http-file-source.ts';
import { createBlockHarness, type BlockHarness } from './helpers/block-context.ts';
import { startFileServer, type FileServer } from './helpers/http-server.ts';

const httpFileSource = createHttpFileSource({ backoff: { baseMs: 1, maxMs: 5 } });
let harness: BlockHarness;
let server: FileServer;

before(async () => {
  harness = await createBlockHarness();
  server = await startFileServer();
  mkdirSync(path.join(harness.dir, 'data'), { recursive: true });
});
after(async () => {
  await server.close();
  await harness.close();
});

function write(name: string, body: string | Buffer): string {
  writeFileSync(path.join(harness.dir, 'data', name), body);
  return `data/${name}`;
}

async function readError(file: string, extra: Record<string, unknown> = {}): Promise<UserError> {
  const { error } = await harness.attempt(localFileSource, { id: 'load', config: { path: file, ...extra } });
  assert.ok(error instanceof UserError, `expected a UserError, got ${String(error)}`);
  return error;
}

const rows = (n: number) => 'id,name\n' + Array.from({ length: n }, (_, i) => `${i + 1},name ${i + 1}\n`).join('');

describe('file sources refuse files that DuckDB would read wrongly without a word', () => {
  test('a truncated .csv.gz is an error naming the file, not half its rows', async () => {
    const whole = gzipSync(rows(100_000));
    const file = write('cut.csv.gz', whole.subarray(0, Math.floor(whole.length / 2)));
    const error = await readError(file);
    assert.equal(error.place.file, file);
    assert.match(error.message, /cut\.csv\.gz is not a complete gzip file: it ends before its end \(truncated\)/);
    // The whole file loads every row.
    const ok = await harness.run(localFileSource, { id: 'load', config: { path: write('whole.csv.gz', whole) } });
    assert.equal(ok.outcome?.rowsOut, 100_000);
  });

  test('an unterminated quote is an error at its line, not rows split in the wrong places', async () => {
    const file = write('quote.csv', 'id,name\n1,"ok"\n2,"never closed\n3,c\n4,d\n');
    const error = await readError(file);
    assert.equal(error.place.file, file);
    assert.equal(error.place.line, 3);
    assert.match(error.message, /line 3, column 2: a quoted field opens here and is never closed/);
    // Past DuckDB's sniffing sample, with no quotes before it.
    const late = write('late.csv', rows(30_000) + '30001,"never closed\n30002,x\n');
    assert.equal((await readError(late)).place.line, 30_002);
    // quote: '' reads the quote as data, on purpose.
    const literal = await harness.run(localFileSource, { id: 'load', config: { path: file, quote: '' } });
    assert.equal(literal.outcome?.rowsOut, 4);
    // A quote inside a value (5'11") and well-formed quoted fields are fine.
    const fine = write('fine.csv', 'id,height,note\n1,5\'11",plain\n2,6\'0","a, b"\n3,5\'2","multi\nline ""quoted"""\n');
    assert.equal((await harness.run(localFileSource, { id: 'load', config: { path: fine } })).outcome?.rowsOut, 3);
  });

  test('an empty CSV is an error, not a table with a made-up column0', async () => {
    for (const [name, body] of [
      ['empty.csv', ''],
      ['blank.csv', '\n\n  \n'],
      ['bom.csv', '\uFEFF'],
      ['empty.csv.gz', gzipSync('')],
    ] as const) {
      const file = write(name, body);
      const error = await readError(file);
      assert.equal(error.place.file, file, name);
      assert.match(error.message, /is empty: no header line and no rows/, name);
    }
  });

  test('an HTML page served as CSV is an error naming the URL, not 0 rows', async () => {
    server.serve(
      '/export.csv',
      Buffer.from('<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>Please log in</body></html>\n'),
      { contentType: 'text/html' },
    );
    const url = `${server.url}/export.csv`;
    const { error } = await harness.attempt(httpFileSource, { id: 'web', config: { url } });
    assert.ok(error instanceof UserError, String(error));
    assert.equal(error.place.file, url);
    assert.match(error.message, /is an HTML page, not csv/);
    const local = await readError(write('page.csv', '  <html lang="en"><body>oops</body></html>'));
    assert.match(local.message, /page\.csv is an HTML page/);
    // An expired signed URL answers an XML error with 200 on some stores.
    const denied = await readError(write('denied.csv', '<?xml version="1.0"?><Error><Code>AccessDenied</Code></Error>'));
    assert.match(denied.message, /denied\.csv is an XML document, not csv \(the server said AccessDenied/);
  });

  test('a ragged last row is an error at its line, not every row above it skipped', async () => {
    const file = write('ragged-end.csv', `${rows(5)}6,name 6,extra\n`);
    const error = await readError(file);
    assert.equal(error.place.file, file);
    assert.equal(error.place.line, 7);
    // A title above the table is skipped only when asked.
    const titled = write('titled.csv', `Sales report, 2024\n${rows(3)}`);
    assert.equal((await harness.run(localFileSource, { id: 'load', config: { path: titled, skip: 1 } })).outcome?.rowsOut, 3);
  });

  test('a 10 MB cell is reported at its real line, without the 10 MB in the message', async () => {
    const file = write('big.csv', rows(49) + `50,${'x'.repeat(10 * 1024 * 1024)}\n51,ok\n`);
    const error = await readError(file);
    assert.equal(error.place.file, file);
    assert.equal(error.place.line, 51);
    assert.match(error.message, /^line 51: 10,485,763 bytes long, past the CSV reader's [\d,]+-byte line limit/);
    assert.ok(error.message.length < 500, 'the message does not carry the cell');
  });
});
