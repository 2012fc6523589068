import { randomBytes } from 'node:crypto';
import { mkdirSync, symlinkSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Expected, HostileCase } from './case.ts';
import type { ProjectRuns } from './project-runs.ts';

const rows = (n: number) => 'id,name\n' + Array.from({ length: n }, (_, i) => `${i + 1},n${i + 1}\n`).join('');
const whole = gzipSync(rows(50_000));

/** [name, file name under data/ (or a path), its bytes (undefined: do not write), extra config, expected (file: the display name)]. */
type FileCase = [string, string, Buffer | string | undefined, Record<string, unknown>, Expected];

function user(message: RegExp, extra: { file?: string | RegExp; line?: number; path?: string } = {}): Expected {
  return { kind: 'user', message, block: 'load', ...extra };
}

function fileCases(outside: string): FileCase[] {
  const d = (name: string) => `data/${name}`;
  return [
    [
      'csv: gzip cut in half',
      'cut.csv.gz',
      whole.subarray(0, whole.length >> 1),
      {},
      user(/not a complete gzip file/, { file: d('cut.csv.gz') }),
    ],
    [
      'csv: gzip missing its last 4 bytes',
      'tail.csv.gz',
      whole.subarray(0, whole.length - 4),
      {},
      user(/not a complete gzip file/, { file: d('tail.csv.gz') }),
    ],
    ['csv: plain text named .gz', 'plain.csv.gz', rows(3), {}, user(/not a complete gzip file|gzip/, { file: d('plain.csv.gz') })],
    ['csv: random bytes named .gz', 'noise.csv.gz', randomBytes(4096), {}, user(/gzip/, { file: d('noise.csv.gz') })],
    ['csv: a whole gzip file', 'ok.csv.gz', whole, {}, { ok: true, rows: 50_000 }],
    ['csv: empty', 'empty.csv', '', {}, user(/is empty/, { file: d('empty.csv') })],
    ['csv: only a BOM and blank lines', 'bom.csv', '\uFEFF\n\n', {}, user(/is empty/, { file: d('bom.csv') })],
    ['csv: a header only', 'header.csv', 'id,name\n', {}, { ok: true, rows: 0 }],
    ['csv: an HTML page', 'page.csv', '<!DOCTYPE html><html><body>Sign in</body></html>', {}, user(/HTML page/, { file: d('page.csv') })],
    [
      'csv: invalid UTF-8 bytes',
      'latin1.csv',
      Buffer.concat([Buffer.from('id,name\n1,'), Buffer.from([0xe9, 0xff, 0xfe]), Buffer.from('\n')]),
      {},
      user(/UTF-8|unicode/i, { file: d('latin1.csv') }),
    ],
    ['csv: UTF-8 with a BOM', 'utf8bom.csv', `\uFEFF${rows(4)}`, {}, { ok: true, rows: 4 }],
    [
      'csv: UTF-16 with a BOM',
      'utf16.csv',
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(rows(2), 'utf16le')]),
      {},
      user(/./, { file: d('utf16.csv') }),
    ],
    ['csv: NUL bytes in a value', 'nul.csv', 'id,name\n1,a\0b\n2,c\n', {}, { ok: true, rows: 2 }],
    [
      'csv: an unterminated quote',
      'quote.csv',
      'id,name\n1,"ok"\n2,"never closed\n3,x\n',
      {},
      user(/never closed/, { file: d('quote.csv'), line: 3 }),
    ],
    ['csv: a ragged row', 'ragged.csv', `${rows(5)}6,n6,extra\n`, {}, user(/fields/, { file: d('ragged.csv'), line: 7 })],
    ['csv: a 3 MB line', 'wide.csv', `${rows(3)}4,${'w'.repeat(3_000_000)}\n`, {}, user(/bytes long/, { file: d('wide.csv'), line: 5 })],
    ['csv: CRLF line endings', 'crlf.csv', rows(3).replaceAll('\n', '\r\n'), {}, { ok: true, rows: 3 }],
    ['csv: random binary named .csv', 'binary.csv', randomBytes(8192), {}, user(/./, { file: d('binary.csv') })],
    ['parquet: CSV text named .parquet', 'fake.parquet', rows(3), {}, user(/parquet/i, { file: d('fake.parquet') })],
    ['parquet: an empty .parquet', 'empty.parquet', '', {}, user(/parquet/i, { file: d('empty.parquet') })],
    ['json: a good file (control)', 'good.json', '[{"a": 1}, {"a": 2}]', {}, { ok: true, rows: 2 }],
    ['parquet: a good file (control)', 'good.parquet', undefined, {}, { ok: true, rows: 3 }],
    ['json: malformed', 'bad.json', '{"a": 1,, }', {}, user(/malformed|JSON/i, { file: d('bad.json') })],
    ['json: empty', 'empty.json', '', {}, user(/is empty/, { file: d('empty.json') })],
    [
      'json: an HTML page named .json',
      'page.json',
      '<html><body>502 Bad Gateway</body></html>',
      {},
      user(/HTML page/, { file: d('page.json') }),
    ],
    ['jsonl: one bad line among good ones', 'lines.jsonl', '{"a":1}\n{"a":2}\n{"a":\n{"a":4}\n', {}, user(/./, { file: d('lines.jsonl') })],
    ['path: a missing file', 'missing.csv', undefined, {}, user(/file not found/, { path: 'config.path' })],
    ['path: a glob matching nothing', 'none-*.csv', undefined, {}, user(/no file matches/, { path: 'config.path' })],
    [
      'path: ../ out of the project',
      `../../../../..${outside}/secret.csv`,
      undefined,
      {},
      user(/outside the project folder/, { path: 'config.path' }),
    ],
    [
      'path: absolute, outside the project',
      `${outside}/secret.csv`,
      undefined,
      {},
      user(/outside the project folder/, { path: 'config.path' }),
    ],
    ['path: a glob outside the project', `${outside}/*.csv`, undefined, {}, user(/outside the project folder/, { path: 'config.path' })],
    ['path: a folder', 'folder.csv', undefined, {}, user(/is a folder/, { path: 'config.path' })],
    ['path: a symlink out of the project', 'link.csv', undefined, {}, user(/outside the project folder/, { path: 'config.path' })],
    [
      'path: a glob matching a symlink out of the project',
      'lin*.csv',
      undefined,
      {},
      user(/link\.csv is outside the project folder/, { path: 'config.path' }),
    ],
  ];
}

/** A three-row Parquet file written by DuckDB itself, for the control case. */
async function writeGoodParquet(file: string): Promise<void> {
  mkdirSync(path.dirname(file), { recursive: true });
  const instance = await DuckDBInstance.create(':memory:');
  const conn = await instance.connect();
  await conn.run(`COPY (SELECT range AS i FROM range(3)) TO '${file.replaceAll("'", "''")}' (FORMAT parquet)`);
  conn.closeSync();
  instance.closeSync();
}

/** Broken files read by a local_file source, each in its own pipeline of `runs`; `outside` holds secret.csv. */
export async function fileCasesFor(runs: ProjectRuns, outside: string): Promise<HostileCase[]> {
  await writeGoodParquet(path.join(runs.dir, 'data', 'good.parquet'));
  return fileCases(outside).map(([name, file, body, config, expect], i) => {
    const id = `f${i}`;
    const isProjectPath = !file.startsWith('/') && !file.startsWith('..');
    const rel = isProjectPath ? `data/${file}` : file;
    const files: Record<string, string | Buffer> = body === undefined ? {} : { [rel]: body };
    if (name === 'path: a folder') files['data/folder.csv/inner.txt'] = 'x';
    runs.add(id, [{ id: 'load', type: 'source', kind: 'local_file', config: { path: rel, ...config } }], files);
    if (file === 'link.csv') symlinkSync(path.join(outside, 'secret.csv'), path.join(runs.dir, rel));
    return { group: 'files', name, expect, run: (signal) => runs.outcome(id, 'load', signal) };
  });
}

/** Exports aimed out of the project or at its own files, each in its own pipeline of `runs`. */
export function exportCases(runs: ProjectRuns, outside: string): HostileCase[] {
  const refused = (message: RegExp): Expected => ({ kind: 'user', message, block: 'out', path: 'config.path' });
  const OUTSIDE = /outside the project folder/;
  const OWN = /would replace the project folder/;
  const cases: [string, Record<string, unknown>, Expected][] = [
    ['export: a folder outside the project', { kind: 'local_file', config: { path: outside } }, refused(OUTSIDE)],
    ['export: the root folder', { kind: 'local_file', config: { path: '/' } }, refused(/outside the project folder|would replace/)],
    ['export: ../ out of the project', { kind: 'local_file', config: { path: '../escaped.parquet' } }, refused(OUTSIDE)],
    [
      'export: the home folder',
      { kind: 'local_file', config: { path: '~/x.parquet'.replace('~', process.env.HOME ?? '/root') } },
      refused(OUTSIDE),
    ],
    ['export: over pipewright.yaml', { kind: 'local_file', config: { path: 'pipewright.yaml', format: 'csv' } }, refused(OWN)],
    ['export: over the blocks folder', { kind: 'local_file', config: { path: 'blocks', partition_by: ['i'] } }, refused(OWN)],
    ['export: over .pipewright', { kind: 'local_file', config: { path: '.pipewright' } }, refused(OWN)],
    [
      'export: over a folder no export wrote',
      { kind: 'local_file', config: { path: 'docs', partition_by: ['i'] } },
      { kind: 'user', message: /did not create/, block: 'out' },
    ],
    [
      'export: a NUL in the path',
      { kind: 'local_file', config: { path: 'out/a\0b.parquet' } },
      { kind: 'user', message: /contains a NUL character/, path: 'blocks[1].config.path', line: 13 },
    ],
    ['export: run history to a folder outside', { kind: 'run_history', config: { to: 'parquet', path: outside } }, refused(OUTSIDE)],
    ['export: a file inside the project (control)', { kind: 'local_file', config: { path: 'out/ok.parquet' } }, { ok: true }],
  ];
  return cases.map(([name, block, expect], i) => {
    const id = `e${i}`;
    runs.add(
      id,
      [
        { id: 'src', type: 'source', kind: 'test_rows', config: { rows: 3 } },
        { id: 'out', type: 'export', upstream: ['src'], ...block },
      ],
      { 'docs/notes.md': 'keep me' },
    );
    return { group: 'files', name, expect, run: (signal) => runs.outcome(id, 'out', signal) };
  });
}
