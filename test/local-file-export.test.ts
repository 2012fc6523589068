import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { UserError } from '../main/model/errors.ts';
import { localFileExport, replaceAtomically } from '../main/blocks/local-file-export.ts';
import { createBlockHarness, type BlockHarness } from './helpers/block-context.ts';
import { rowsBlock, withPipeline } from './helpers/run-project.ts';
import { querySource } from './helpers/test-kinds.ts';

/** A source whose output is any SELECT, to give exports a known upstream. */

const TRIPS = `SELECT range::INTEGER AS id, DATE '2021-01-01' + (range % 3)::INTEGER AS day, (range * 0.5)::DOUBLE AS amount,
  'trip ' || range AS label FROM range(1000)`;

let harness: BlockHarness;

before(async () => {
  harness = await createBlockHarness();
  await harness.run(querySource, { id: 'trips', config: { sql: TRIPS } });
});
after(() => harness.close());

function exportTrips(config: Record<string, unknown>, upstream = ['trips']) {
  return harness.attempt(localFileExport, { id: 'export_trips', upstream, config });
}

async function readBack(sql: string): Promise<Record<string, unknown>[]> {
  return harness.query(sql, []);
}

/** Every file under `dir` with its size and mtime, to prove an output was left untouched. */
function snapshot(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => {
      const file = path.join(e.parentPath, e.name);
      const info = statSync(file);
      return `${path.relative(dir, file)}:${info.size}:${info.mtimeMs}`;
    })
    .sort();
}

function siblingsOf(target: string): string[] {
  return readdirSync(path.dirname(target)).filter((name) => name.startsWith(path.basename(target)));
}

describe('export/local_file', () => {
  test('writes one parquet file that DuckDB reads back with the same types', async () => {
    const run = await exportTrips({ path: 'out/trips.parquet' });
    assert.equal(run.error, undefined);
    const file = path.join(harness.dir, 'out', 'trips.parquet');
    assert.deepEqual(run.outcome, { rowsIn: 1000, rowsOut: 1000, bytes: statSync(file).size, hasOutput: false });
    const types = await readBack(`DESCRIBE SELECT * FROM read_parquet('${file}')`);
    assert.deepEqual(
      types.map((t) => `${t.column_name} ${t.column_type}`),
      ['id INTEGER', 'day DATE', 'amount DOUBLE', 'label VARCHAR'],
    );
    assert.ok(run.logs.some((l) => /wrote 1,000 rows to out\/trips\.parquet \(parquet,/.test(l.message)));
  });

  test('writes a hive-partitioned folder per distinct value, rows adding up to the total', async () => {
    const run = await exportTrips({ path: 'out/by_day', partition_by: ['day'], compression: 'zstd' });
    assert.equal(run.error, undefined);
    const dir = path.join(harness.dir, 'out', 'by_day');
    assert.deepEqual(readdirSync(dir).sort(), ['day=2021-01-01', 'day=2021-01-02', 'day=2021-01-03']);
    const perDay = await readBack(
      `SELECT day::VARCHAR AS day, count(*)::INTEGER AS n FROM read_parquet('${dir}/**/*.parquet', hive_partitioning = true) GROUP BY 1 ORDER BY 1`,
    );
    assert.deepEqual(perDay, [
      { day: '2021-01-01', n: 334 },
      { day: '2021-01-02', n: 333 },
      { day: '2021-01-03', n: 333 },
    ]);
    const inFile = await readBack(`DESCRIBE SELECT * FROM read_parquet('${dir}/day=2021-01-01/*.parquet', hive_partitioning = false)`);
    assert.deepEqual(
      inFile.map((t) => t.column_name),
      ['id', 'amount', 'label'],
      'the partition column lives in folder names',
    );
    assert.equal(run.outcome?.rowsOut, 1000);
    assert.ok(run.logs.some((l) => /3 partitions/.test(l.message)));
  });

  test('writes CSV with a header, gzip-compressed when the name ends in .gz', async () => {
    const run = await exportTrips({ path: 'out/trips.csv.gz' });
    assert.equal(run.error, undefined);
    const lines = gunzipSync(readFileSync(path.join(harness.dir, 'out', 'trips.csv.gz')))
      .toString('utf8')
      .trim()
      .split('\n');
    assert.equal(lines[0], 'id,day,amount,label');
    assert.equal(lines[1], '0,2021-01-01,0.0,trip 0');
    assert.equal(lines.length, 1001);
  });

  test('overwrite replaces the previous output and leaves no temp or old copy beside it', async () => {
    const target = path.join(harness.dir, 'out', 'replaced');
    await exportTrips({ path: 'out/replaced', partition_by: ['day'] });
    await harness.run(querySource, { id: 'few_trips', config: { sql: `${TRIPS} WHERE range % 3 = 0` } });
    const run = await exportTrips({ path: 'out/replaced', partition_by: ['day'] }, ['few_trips']);
    assert.equal(run.error, undefined);
    assert.deepEqual(readdirSync(target), ['day=2021-01-01']);
    assert.deepEqual(siblingsOf(target), ['replaced']);
  });

  test('overwrite: false refuses to replace an existing output', async () => {
    await exportTrips({ path: 'out/kept.parquet' });
    const { error } = await exportTrips({ path: 'out/kept.parquet', overwrite: false });
    assert.ok(error instanceof UserError);
    assert.match(error.message, /already exists/);
  });

  test('a missing partition column fails listing the columns, and the previous output survives', async () => {
    const dir = path.join(harness.dir, 'out', 'survivor');
    await exportTrips({ path: 'out/survivor', partition_by: ['day'] });
    const before = snapshot(dir);
    const { error } = await exportTrips({ path: 'out/survivor', partition_by: ['dya'] });
    assert.ok(error instanceof UserError);
    assert.match(error.message, /dya not in trips's output; its columns are id, day, amount, label/);
    assert.deepEqual(snapshot(dir), before);
  });

  test('a COPY that fails half-way (a partition value too long for a folder name) leaves the previous output intact', async () => {
    const dir = path.join(harness.dir, 'out', 'halfway');
    await exportTrips({ path: 'out/halfway', partition_by: ['label'] });
    const before = snapshot(dir);
    await harness.run(querySource, {
      id: 'long_labels',
      config: { sql: `SELECT range AS id, CASE WHEN range < 5 THEN 'ok' || range ELSE repeat('x', 300) END AS label FROM range(10)` },
    });
    const { error } = await exportTrips({ path: 'out/halfway', partition_by: ['label'] }, ['long_labels']);
    assert.ok(error instanceof UserError, String(error));
    assert.match(error.message, /cannot write out\/halfway: a file or folder name is too long/);
    assert.deepEqual(snapshot(dir), before);
    assert.deepEqual(siblingsOf(dir), ['halfway']);
  });

  test('a path under a regular file fails with a UserError naming the path (stands in for permission errors: tests run as root)', async () => {
    writeFileSync(path.join(harness.dir, 'blocker'), 'a file, not a folder');
    const { error } = await exportTrips({ path: 'blocker/trips.parquet' });
    assert.ok(error instanceof UserError, String(error));
    assert.match(error.message, /cannot write blocker\/trips\.parquet: a part of the path is a file, not a folder/);
  });

  test('needs exactly one upstream block', async () => {
    const none = await exportTrips({ path: 'out/x.parquet' }, []);
    assert.match(String(none.error), /exactly one upstream block; this one has none/);
    const two = await exportTrips({ path: 'out/x.parquet' }, ['trips', 'few_trips']);
    assert.match(String(two.error), /this one has trips, few_trips/);
  });

  test('refuses to replace the project folder or its state', async () => {
    const { error } = await exportTrips({ path: '.pipewright/cache' });
    assert.ok(error instanceof UserError);
    assert.match(error.message, /would replace the project folder/);
    for (const own of ['pipewright.yaml', 'blocks', 'pipelines/p/pipeline.yaml', 'connections.yaml']) {
      const refused = await exportTrips({ path: own });
      assert.match(String(refused.error), /would replace the project folder, its .pipewright state or its pipeline and block files/, own);
    }
  });

  test('refuses a folder outside the project and leaves it untouched, unless allowed_paths lists it', async () => {
    const outside = mkdtempSync(path.join(os.tmpdir(), 'pw-export-outside-'));
    try {
      writeFileSync(path.join(outside, 'thesis.tex'), 'years of work');
      const before = snapshot(outside);
      const { error } = await exportTrips({ path: outside });
      assert.ok(error instanceof UserError);
      assert.equal(error.place.path, 'config.path');
      assert.match(error.message, /outside the project folder.*allowed_paths/);
      const escaped = await exportTrips({ path: `../${path.basename(outside)}/new.parquet`, partition_by: undefined });
      assert.match(String(escaped.error), /outside the project folder/);
      symlinkSync(outside, path.join(harness.dir, 'link_out'));
      const linked = await exportTrips({ path: 'link_out/new.parquet' });
      assert.match(String(linked.error), /outside the project folder/);
      assert.deepEqual(snapshot(outside), before);
    } finally {
      rmSync(path.join(harness.dir, 'link_out'), { force: true });
      rmSync(outside, { recursive: true, force: true });
    }
  });

  test('replaces only folders an export wrote: a foreign folder in the project is refused and kept', async () => {
    mkdirSync(path.join(harness.dir, 'docs'), { recursive: true });
    writeFileSync(path.join(harness.dir, 'docs', 'notes.md'), 'keep me');
    const { error } = await exportTrips({ path: 'docs', partition_by: ['day'] });
    assert.match(String(error), /docs is a folder Pipewright did not create/);
    assert.equal(readFileSync(path.join(harness.dir, 'docs', 'notes.md'), 'utf8'), 'keep me');

    // A folder an export wrote holds only Hive folders of data_N files: replaceable, until something else lands in it.
    await exportTrips({ path: 'out/ours', partition_by: ['day'] });
    assert.equal((await exportTrips({ path: 'out/ours', partition_by: ['day'] })).error, undefined);
    writeFileSync(path.join(harness.dir, 'out', 'ours', 'README.md'), 'added by hand');
    assert.match(String((await exportTrips({ path: 'out/ours', partition_by: ['day'] })).error), /did not create/);
    assert.equal(readFileSync(path.join(harness.dir, 'out', 'ours', 'README.md'), 'utf8'), 'added by hand');
  });
});

test('a folder listed under allowed_paths takes exports, but a folder there that no export wrote is still refused', async () => {
  const outside = mkdtempSync(path.join(os.tmpdir(), 'pw-export-allowed-'));
  writeFileSync(path.join(outside, 'thesis.tex'), 'years of work');
  const pipeline = {
    blocks: [
      rowsBlock('src', { rows: 5 }),
      { id: 'to_file', type: 'export', kind: 'local_file', upstream: ['src'], config: { path: path.join(outside, 'rows.parquet') } },
      { id: 'to_folder', type: 'export', kind: 'local_file', upstream: ['src'], config: { path: outside } },
    ],
  };
  try {
    await withPipeline(
      pipeline,
      async ({ open, run }) => {
        const result = await run({ pipeline: await open.loadPipeline('p'), scope: { kind: 'pipeline' }, trigger: { kind: 'test' } });
        const status = Object.fromEntries(result.blocks.map((b) => [b.id, [b.status, b.error?.message ?? '']]));
        assert.equal(status.to_file?.[0], 'succeeded', status.to_file?.[1]);
        assert.equal(status.to_folder?.[0], 'failed');
        assert.match(status.to_folder?.[1] ?? '', /a folder Pipewright did not create/);
      },
      { settings: { allowed_paths: [outside] } },
    );
    assert.equal(readFileSync(path.join(outside, 'thesis.tex'), 'utf8'), 'years of work');
  } finally {
    rmSync(outside, { recursive: true, force: true });
  }
});

describe('replaceAtomically', () => {
  test('a write that throws after writing part of its output leaves the old output and no temp files', async () => {
    const dir = path.join(harness.dir, 'atomic');
    mkdirSync(path.join(dir, 'target'), { recursive: true });
    writeFileSync(path.join(dir, 'target', 'old.txt'), 'old');
    const failing = replaceAtomically(path.join(dir, 'target'), async (tmp) => {
      mkdirSync(tmp);
      writeFileSync(path.join(tmp, 'half.txt'), 'half');
      throw new Error('disk went away');
    });
    await assert.rejects(failing, /disk went away/);
    assert.deepEqual(readdirSync(dir), ['target']);
    assert.deepEqual(readdirSync(path.join(dir, 'target')), ['old.txt']);
  });
});
