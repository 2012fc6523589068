import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { CancelledError, UserError } from '../main/model/errors.ts';
import type { RunEvent } from '../main/model/run-events.ts';
import { createHttpFileSource } from '../main/blocks/http-file-source.ts';
import { localFileSource } from '../main/blocks/local-file-source.ts';
import { buildReadSql, formatFromFileName } from '../main/blocks/file-formats.ts';
import { YELLOW_COLUMNS } from '../bench/yellow-columns.ts';
import { createBlockHarness, type BlockHarness } from './helpers/block-context.ts';
import { startFileServer, type FileServer } from './helpers/http-server.ts';
import { writeYellowTaxiCsv } from './helpers/taxi-csv.ts';

const httpFileSource = createHttpFileSource({ backoff: { baseMs: 1, maxMs: 5 } });
let harness: BlockHarness;
let server: FileServer;

before(async () => {
  harness = await createBlockHarness();
  server = await startFileServer();
});
after(async () => {
  await server.close();
  await harness.close();
});

/** A CSV with `good` rows of (a, b, c), then `bad` lines, then `good` more rows. */
function csvText(good: number, bad: string[] = []): string {
  const rows = Array.from({ length: good }, (_, i) => `${i},${i * 2},x${i}`);
  return ['a,b,c', ...rows, ...bad, ...rows].join('\n') + '\n';
}

function writeProjectFile(relPath: string, text: string | Buffer): string {
  const file = path.join(harness.dir, relPath);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

async function columnTypes(blockId: string): Promise<Record<string, string>> {
  const rows = await harness.query(`DESCRIBE SELECT * FROM ${JSON.stringify(blockId)}`, [blockId]);
  return Object.fromEntries(rows.map((r) => [String(r.column_name), String(r.column_type)]));
}

async function failure(run: Promise<{ error?: unknown }>): Promise<UserError> {
  const { error } = await run;
  assert.ok(error instanceof UserError, `expected a UserError, got ${String(error)}`);
  return error;
}

describe('source/http_file', () => {
  test('loads a CSV.gz with declared types: DuckDB types and row counts match the generator', async () => {
    const file = writeProjectFile('gen/yellow.csv.gz', '');
    const stats = await writeYellowTaxiCsv(file, { rows: 20_000, seed: 5, gzip: true });
    server.serve('/yellow_tripdata_2021-01.csv.gz', { file });
    const config = { url: `${server.url}/yellow_tripdata_2021-01.csv.gz`, timestamp_format: '%Y-%m-%d %H:%M:%S', columns: YELLOW_COLUMNS };
    const first = await harness.run(httpFileSource, { id: 'load_yellow', config });
    assert.equal(first.outcome?.rowsOut, stats.rows);
    assert.equal(first.outcome?.bytes, statSync(file).size);
    // The download's last word is all its bytes (rows may follow, while DuckDB reads the file).
    const last = first.progress.filter((p) => p.phase === 'download').at(-1);
    assert.deepEqual(last, { phase: 'download', done: statSync(file).size, total: statSync(file).size, unit: 'bytes' });
    assert.ok(
      first.progress.every((p) => p.phase === 'download' || (p.phase === 'read' && p.unit === 'rows')),
      JSON.stringify(first.progress),
    );
    const types = await columnTypes('load_yellow');
    assert.equal(types.VendorID, 'BIGINT');
    assert.equal(types.tpep_pickup_datetime, 'TIMESTAMP');
    assert.equal(types.fare_amount, 'DOUBLE');
    assert.equal(types.store_and_fwd_flag, 'VARCHAR');
    const [kept] = await harness.query('SELECT count(*)::INTEGER AS n FROM load_yellow WHERE passenger_count > 0', ['load_yellow']);
    assert.equal(kept?.n, stats.keptRows);

    const second = await harness.run(httpFileSource, { id: 'load_yellow', config });
    assert.equal(second.outcome?.rowsOut, stats.rows);
    assert.ok(
      second.logs.some((l) => /cached/.test(l.message)),
      'the second run revalidates and reuses the download',
    );
    assert.equal(server.requests('/yellow_tripdata_2021-01.csv.gz'), 2);
  });

  test('reads a list of URLs into one table, matching columns by name', async () => {
    server.serve('/m1.csv', Buffer.from('id,city\n1,Oslo\n2,Rome\n'));
    server.serve('/m2.csv', Buffer.from('city,id,extra\nLima,3,x\n'));
    const run = await harness.run(httpFileSource, { id: 'months', config: { url: [`${server.url}/m1.csv`, `${server.url}/m2.csv`] } });
    assert.equal(run.outcome?.rowsOut, 3);
    const rows = await harness.query('SELECT id::INTEGER AS id, city, extra FROM months ORDER BY id', ['months']);
    assert.deepEqual(rows, [
      { id: 1, city: 'Oslo', extra: null },
      { id: 2, city: 'Rome', extra: null },
      { id: 3, city: 'Lima', extra: 'x' },
    ]);
  });

  test('a value that does not fit its declared type fails naming the URL, line and column', async () => {
    server.serve('/typed.csv.gz', gzipSync(csvText(100, ['7,seven,x'])));
    const url = `${server.url}/typed.csv.gz`;
    const error = await failure(harness.attempt(httpFileSource, { id: 'typed', config: { url, columns: { b: 'BIGINT' } } }));
    assert.equal(error.place.file, url);
    assert.equal(error.place.line, 102);
    assert.equal(error.place.column, 2);
    assert.match(error.message, /line 102, column 2 \(b\): could not convert "seven" to BIGINT/);
    assert.doesNotMatch(error.message, /\.pipewright/, 'the cache path never shows');
  });

  test('a timestamp that does not match the declared timestamp_format says which format it was read with', async () => {
    server.serve('/stamped.csv', Buffer.from('id,picked_at\n1,2019-01-01 00:46:00\n2,1/1/2019 0:53\n'));
    const url = `${server.url}/stamped.csv`;
    const error = await failure(
      harness.attempt(httpFileSource, {
        id: 'stamped',
        config: { url, timestamp_format: '%Y-%m-%d %H:%M:%S', columns: { picked_at: 'TIMESTAMP' } },
      }),
    );
    assert.equal(error.place.line, 3);
    assert.match(
      error.message,
      /could not convert "1\/1\/2019 0:53" to TIMESTAMP; it was read with timestamp_format "%Y-%m-%d %H:%M:%S"; change that, or declare another type/,
    );
  });

  test('a 404 fails without retrying and names the URL', async () => {
    const url = `${server.url}/missing.csv`;
    const { error } = await harness.attempt(httpFileSource, { id: 'gone', config: { url } });
    assert.match(String(error), /missing\.csv answered 404/);
    assert.equal(server.requests('/missing.csv'), 1);
  });

  test('cancelling the block aborts its download promptly and leaves no partial file', async () => {
    server.serve('/slow.csv', Buffer.alloc(200_000, 'a'));
    server.fail('/slow.csv', { stallAfterBytes: 50_000 });
    const controller = new AbortController();
    // Cancelled once bytes arrived: the download is then mid-body, where the server stalls.
    const onEvent = (event: RunEvent) => event.type === 'block.progressed' && controller.abort(new CancelledError('run cancelled'));
    const started = Date.now();
    const { error } = await harness.attempt(
      httpFileSource,
      { id: 'slow', config: { url: `${server.url}/slow.csv` } },
      { signal: controller.signal, onEvent },
    );
    assert.ok(error instanceof CancelledError, String(error));
    assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`); // a stalled download would hang
    const cached = readdirSync(path.join(harness.project.stateDir, 'cache', 'http'));
    assert.deepEqual(
      cached.filter((name) => name.includes('slow')),
      [],
    );
  });

  test('asks for a format when the URL does not tell it', async () => {
    const error = await failure(harness.attempt(httpFileSource, { id: 'nofmt', config: { url: `${server.url}/export?id=3` } }));
    assert.match(error.message, /set format/);
  });
});

describe('source/local_file', () => {
  test('reads every file a glob matches, relative to the project folder', async () => {
    writeProjectFile('data/part-1.csv', 'id,v\n1,a\n2,b\n');
    writeProjectFile('data/part-2.csv', 'id,v\n3,c\n');
    writeProjectFile('data/notes.txt.bak', 'not data');
    const run = await harness.run(localFileSource, { id: 'parts', config: { path: 'data/part-*.csv' } });
    assert.equal(run.outcome?.rowsOut, 3);
    assert.ok(run.logs.some((l) => /2 files matching data\/part-\*\.csv/.test(l.message)));
  });

  test('reads parquet and JSON, casting declared columns', async () => {
    const parquet = path.join(harness.dir, 'data', 'nums.parquet');
    await harness.query(`COPY (SELECT range AS i, (range * 1.5)::DOUBLE AS x FROM range(10)) TO '${parquet}' (FORMAT parquet)`, []);
    await harness.run(localFileSource, { id: 'nums', config: { path: 'data/nums.parquet', columns: { i: 'INTEGER' } } });
    assert.deepEqual(await columnTypes('nums'), { i: 'INTEGER', x: 'DOUBLE' });

    writeProjectFile('data/events.jsonl', '{"at":"2021-01-02 03:04:05","n":1}\n{"at":"2021-01-03 00:00:00","n":2}\n');
    const run = await harness.run(localFileSource, { id: 'events', config: { path: 'data/events.jsonl', columns: { n: 'SMALLINT' } } });
    assert.equal(run.outcome?.rowsOut, 2);
    const types = await columnTypes('events');
    assert.equal(types.n, 'SMALLINT');
    assert.equal(types.at, 'TIMESTAMP');
  });

  test('a ragged row deep in a file fails naming the file, line and column', async () => {
    writeProjectFile('data/ragged.csv', csvText(30_000, ['9,10']));
    const error = await failure(harness.attempt(localFileSource, { id: 'ragged', config: { path: 'data/ragged.csv' } }));
    assert.deepEqual(
      { file: error.place.file, line: error.place.line, column: error.place.column },
      { file: path.join('data', 'ragged.csv'), line: 30_002, column: 3 },
    );
    assert.match(error.message, /expected 3 fields, found 2/);
  });

  test('a ragged row near the top (which defeats the sniffer) fails naming the file, line and column', async () => {
    writeProjectFile('data/ragged-top.csv', csvText(50, ['9,10,11,12']));
    const plain = await failure(harness.attempt(localFileSource, { id: 'top', config: { path: 'data/ragged-top.csv' } }));
    assert.deepEqual({ line: plain.place.line, column: plain.place.column }, { line: 52, column: 4 });
    const typed = await failure(
      harness.attempt(localFileSource, { id: 'top', config: { path: 'data/ragged-top.csv', columns: { b: 'BIGINT' } } }),
    );
    assert.deepEqual({ line: typed.place.line, column: typed.place.column }, { line: 52, column: 4 });
    assert.match(typed.message, /expected 3 fields, found 4/);
  });

  test('on_error: reject keeps the good rows and counts the bad ones', async () => {
    writeProjectFile('data/mixed.csv', csvText(100, ['7,seven,x', '8,16']));
    const run = await harness.run(localFileSource, {
      id: 'mixed',
      config: { path: 'data/mixed.csv', columns: { b: 'BIGINT' }, on_error: 'reject' },
    });
    assert.equal(run.outcome?.rowsOut, 200);
    const warning = run.logs.find((l) => l.level === 'warn');
    assert.match(warning?.message ?? '', /^2 rows rejected .*first: data\/mixed\.csv line 102 column b/);
  });

  test('a missing file or a glob without match is a UserError naming the path', async () => {
    const missing = await failure(harness.attempt(localFileSource, { id: 'nofile', config: { path: 'data/nope.csv' } }));
    assert.match(missing.message, /file not found: data\/nope\.csv/);
    const noMatch = await failure(harness.attempt(localFileSource, { id: 'nofile', config: { path: 'data/nope-*.csv' } }));
    assert.match(noMatch.message, /no file matches data\/nope-\*\.csv/);
  });

  test('an unknown column type is a UserError about config.columns', async () => {
    writeProjectFile('data/small.csv', 'a,b\n1,2\n');
    const error = await failure(
      harness.attempt(localFileSource, { id: 'badtype', config: { path: 'data/small.csv', columns: { a: 'BIGNUMBER' } } }),
    );
    assert.equal(error.place.path, 'config.columns');
  });

  test('CSV-only options on a parquet file are refused', async () => {
    const error = await failure(harness.attempt(localFileSource, { id: 'opts', config: { path: 'data/nums.parquet', delimiter: ';' } }));
    assert.match(error.message, /delimiter do not apply to parquet/);
  });
});

describe('file formats', () => {
  test('tells the format from file names and URLs', () => {
    assert.equal(formatFromFileName('yellow_tripdata_2021-01.csv.gz'), 'csv');
    assert.equal(formatFromFileName('x.TSV'), 'csv');
    assert.equal(formatFromFileName('https://h/x.parquet?download=1'), 'parquet');
    assert.equal(formatFromFileName('a.ndjson'), 'json');
    assert.equal(formatFromFileName('a.json.gz'), 'json');
    assert.equal(formatFromFileName('a.xlsx'), undefined);
  });

  test('quotes file names and column names in the reader call', () => {
    const sql = buildReadSql(["it's.csv"], 'csv', { on_error: 'fail', columns: { "o'k": 'BIGINT' }, delimiter: ';' });
    assert.equal(sql, "SELECT * FROM read_csv(['it''s.csv'], delim = ';', skip = 0, types = {'o''k': 'BIGINT'})");
    const parquet = buildReadSql(['a.parquet', 'b.parquet'], 'parquet', { on_error: 'fail', columns: { 'x"y': 'INTEGER' } });
    assert.equal(
      parquet,
      `SELECT * REPLACE (CAST("x""y" AS INTEGER) AS "x""y") FROM read_parquet(['a.parquet', 'b.parquet'], union_by_name = true)`,
    );
  });
});
