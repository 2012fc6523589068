import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { UserError } from '../main/model/errors.ts';
import { Workspace } from '../main/data/workspace.ts';
import { waitUntil } from './helpers/wait-until.ts';

async function withWorkspace(body: (ws: Workspace, file: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-ws-'));
  const file = path.join(dir, '.pipewright', 'workspace.duckdb');
  const ws = await Workspace.open({ path: file, threads: 2, spillDir: path.join(dir, 'spill') });
  try {
    await body(ws, file);
  } finally {
    await ws.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Produce {
  blockId: string;
  runId: string;
  sql: string;
  attempt?: number;
  readable?: string[];
  runOutputs?: Map<string, string>;
  publish?: boolean;
}

/** One block attempt the way the engine drives it: session, write, publish (unless told not to), close. */
async function produce(ws: Workspace, p: Produce): Promise<string> {
  const session = await ws.openBlockSession({
    pipelineId: 'p',
    blockId: p.blockId,
    runId: p.runId,
    attempt: p.attempt ?? 1,
    runOutputs: p.runOutputs ?? new Map(),
    readable: p.readable ?? [],
  });
  try {
    const rows = await session.writeOutputFromQuery(p.sql);
    const physical = session.outputTable!;
    if (p.publish !== false) await ws.publish({ pipelineId: 'p', blockId: p.blockId, runId: p.runId, physical, rows });
    p.runOutputs?.set(p.blockId, physical);
    return physical;
  } finally {
    await session.close();
  }
}

async function rowsOf(ws: Workspace, sql: string): Promise<Record<string, unknown>[]> {
  const result = await ws.query(sql, { offset: 0, limit: 10_000 });
  return tableFromIPC(result.ipc)
    .toArray()
    .map((r) => ({ ...r.toJSON() }));
}

async function outputTables(ws: Workspace): Promise<string[]> {
  const rows = await rowsOf(ws, `select table_name from duckdb_tables() where schema_name = '_pw_out' order by 1`);
  return rows.map((r) => String(r.table_name));
}

test('outputs persist across close and open, readable through the pipeline schema', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-ws-'));
  const file = path.join(dir, 'workspace.duckdb');
  try {
    const first = await Workspace.open({ path: file });
    first.beginRun('r1');
    await produce(first, { blockId: 'nums', runId: 'r1', sql: 'select range as n from range(5)' });
    await first.endRun('r1');
    await first.close();

    const second = await Workspace.open({ path: file });
    try {
      const latest = await second.latestOutput('p', 'nums');
      assert.equal(latest?.runId, 'r1');
      assert.equal(latest?.rows, 5);
      assert.ok(latest && Math.abs(latest.createdAt - Date.now()) < 60_000, `createdAt ${latest?.createdAt}`);
      assert.deepEqual(await rowsOf(second, 'select sum(n) as s from p.nums'), [{ s: '10' }], 'HUGEINT arrives as exact text');
      assert.deepEqual(
        (await second.latestOutputs('p')).map((o) => o.blockId),
        ['nums'],
      );
    } finally {
      await second.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a session reads this run's own upstream output over the latest published one", async () => {
  await withWorkspace(async (ws) => {
    await produce(ws, { blockId: 'a', runId: 'r1', sql: `select 'old' as v` });
    const r2 = new Map<string, string>();
    await produce(ws, { blockId: 'a', runId: 'r2', sql: `select 'mine' as v`, runOutputs: r2, publish: false });
    const session = await ws.openBlockSession({ pipelineId: 'p', blockId: 'b', runId: 'r2', attempt: 1, runOutputs: r2, readable: ['a'] });
    try {
      assert.deepEqual(await session.queryRows('select v from a'), [{ v: 'mine' }]);
      assert.equal(session.relation('a'), '"a"');
    } finally {
      await session.close();
    }
    const other = await ws.openBlockSession({
      pipelineId: 'p',
      blockId: 'b',
      runId: 'r3',
      attempt: 1,
      runOutputs: new Map(),
      readable: ['a'],
    });
    try {
      assert.deepEqual(await other.queryRows('select v from a'), [{ v: 'old' }], 'without its own output a run reads the latest');
    } finally {
      await other.close();
    }
  });
});

test('two concurrent runs read their own outputs, and a superseded table lives until the run holding it ends', async () => {
  await withWorkspace(async (ws) => {
    ws.beginRun('r1');
    ws.beginRun('r2');
    const out1 = new Map<string, string>();
    const out2 = new Map<string, string>();
    const a1 = await produce(ws, { blockId: 'a', runId: 'r1', sql: 'select 1 as run', runOutputs: out1 });
    const a2 = await produce(ws, { blockId: 'a', runId: 'r2', sql: 'select 2 as run', runOutputs: out2 });
    assert.equal((await ws.latestOutput('p', 'a'))?.runId, 'r2');
    assert.ok((await outputTables(ws)).includes(a1), 'r1 still needs its own output of a');

    await produce(ws, { blockId: 'b', runId: 'r1', sql: 'select run * 10 as run from a', readable: ['a'], runOutputs: out1 });
    assert.deepEqual(await rowsOf(ws, 'select run from p.b'), [{ run: 10 }], 'r1 read its own a, not the newer one of r2');

    await ws.endRun('r1');
    assert.deepEqual(await outputTables(ws), [a2, out1.get('b')].sort(), 'once r1 ends its superseded a is dropped');
    await ws.endRun('r2');
    assert.deepEqual(await rowsOf(ws, 'select run from p.a'), [{ run: 2 }]);
  });
});

test('a superseded table nobody holds is dropped when the new output is published', async () => {
  await withWorkspace(async (ws) => {
    const first = await produce(ws, { blockId: 'a', runId: 'r1', sql: 'select 1 as x' });
    await ws.endRun('r1');
    assert.deepEqual(await outputTables(ws), [first]);
    const second = await produce(ws, { blockId: 'a', runId: 'r2', sql: 'select 2 as x' });
    assert.deepEqual(await outputTables(ws), [second], 'r2 holds only its new table; the old one goes right away');
  });
});

test('a failed or discarded attempt leaves the latest output intact', async () => {
  await withWorkspace(async (ws) => {
    const latest = await produce(ws, { blockId: 'a', runId: 'r1', sql: 'select 42 as answer' });
    await ws.endRun('r1');
    ws.beginRun('r2');
    const session = await ws.openBlockSession({
      pipelineId: 'p',
      blockId: 'a',
      runId: 'r2',
      attempt: 1,
      runOutputs: new Map(),
      readable: [],
    });
    await session.writeOutputFromQuery('select 0 as answer');
    const discarded = session.outputTable!;
    await assert.rejects(session.writeOutputFromQuery('select 1/0::int as answer, nonsense'), UserError);
    await session.close();
    await ws.discard(discarded);
    await ws.discard(latest); // the engine never does this, but a latest output must survive it anyway
    await ws.endRun('r2');
    assert.deepEqual(await outputTables(ws), [latest]);
    assert.deepEqual(await rowsOf(ws, 'select answer from p.a'), [{ answer: 42 }]);
    assert.equal((await ws.latestOutput('p', 'a'))?.runId, 'r1');
  });
});

test('tables left by a crashed run are dropped when the workspace opens', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-ws-'));
  const file = path.join(dir, 'workspace.duckdb');
  try {
    const ws = await Workspace.open({ path: file });
    const kept = await produce(ws, { blockId: 'a', runId: 'r1', sql: 'select 1 as x' });
    const orphan = await produce(ws, { blockId: 'b', runId: 'r1', sql: 'select 2 as x', publish: false });
    assert.deepEqual(await outputTables(ws), [kept, orphan].sort());
    await ws.close(); // no endRun: the run "crashed"
    const reopened = await Workspace.open({ path: file });
    try {
      assert.deepEqual(await outputTables(reopened), [kept]);
    } finally {
      await reopened.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('reading an upstream block with no output names it and the reading block', async () => {
  await withWorkspace(async (ws) => {
    await assert.rejects(
      ws.openBlockSession({ pipelineId: 'p', blockId: 'clean', runId: 'r1', attempt: 1, runOutputs: new Map(), readable: ['load'] }),
      (err: unknown) => {
        assert.ok(err instanceof UserError);
        assert.equal(err.message, 'block load has no stored output yet: run it first, or run this block with its upstream');
        assert.deepEqual(err.place, { block: 'clean' });
        return true;
      },
    );
    await assert.rejects(ws.preview('p', 'load', { offset: 0, limit: 10 }), /block load has no stored output yet/);
  });
});

test('a session reads only its upstream blocks and says which those are', async () => {
  await withWorkspace(async (ws) => {
    await produce(ws, { blockId: 'a', runId: 'r1', sql: 'select 1 as x' });
    await produce(ws, { blockId: 'other', runId: 'r1', sql: 'select 2 as x' });
    const session = await ws.openBlockSession({
      pipelineId: 'p',
      blockId: 'b',
      runId: 'r2',
      attempt: 1,
      runOutputs: new Map(),
      readable: ['a'],
    });
    try {
      assert.throws(() => session.relation('other'), /block b cannot read other: it reads only its upstream blocks \(a\)/);
      await assert.rejects(session.writeOutputFromQuery('select *\nfrom other'), (err: unknown) => {
        assert.ok(err instanceof UserError);
        assert.match(err.message, /^Catalog Error: Table with name other does not exist! \(it reads only its upstream blocks \(a\)/);
        assert.equal(err.place.line, 2);
        assert.equal(err.place.block, 'b');
        return true;
      });
      const described = await session.describe('a');
      assert.deepEqual(described, { columns: [{ name: 'x', type: 'INTEGER' }], rows: 1 });
      assert.equal(session.outputTable, undefined);
      await session.writeOutputFromQuery('select x + 1 as y from a');
      assert.match(session.relation('b'), /^"_pw_out"\."p__b__r2_1"$/);
      const arrow = await session.readArrow('b');
      assert.equal(arrow.getChild('y')?.get(0), 2);
    } finally {
      await session.close();
    }
  });
});

test('SQL errors in a block point at the line and column of its own SQL', async () => {
  await withWorkspace(async (ws) => {
    const session = await ws.openBlockSession({
      pipelineId: 'p',
      blockId: 'q',
      runId: 'r1',
      attempt: 1,
      runOutputs: new Map(),
      readable: [],
    });
    const placeOf = async (sql: string) => {
      const err = await session.writeOutputFromQuery(sql).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
      return { line: err.place.line, column: err.place.column, message: err.message };
    };
    try {
      const syntax = await placeOf('select a,\n  b\nfrom range(3) wher x');
      assert.deepEqual([syntax.line, syntax.column], [3, 20]);
      assert.match(syntax.message, /^Parser Error: syntax error at or near "x"\n\nLINE 3: from range\(3\) wher x\n {27}\^$/);

      const unknown = await placeOf('select range,\n  -- the next one is wrong\n  bogus_col\nfrom range(3)');
      assert.deepEqual([unknown.line, unknown.column], [3, 3]);
      assert.match(unknown.message, /^Binder Error: Referenced column "bogus_col" not found/);

      const firstLine = await placeOf('select nope from range(2)');
      assert.deepEqual([firstLine.line, firstLine.column], [1, 8], 'the CREATE TABLE wrapper is not counted');

      const longLine = `select ${'range as r, '.repeat(12)}missing_one from range(2)`;
      const long = await placeOf(longLine);
      assert.deepEqual([long.line, long.column], [1, longLine.indexOf('missing_one') + 1], 'DuckDB cuts long lines with ...');

      const crlf = await placeOf('select 1,\r\n  2,\r\n  missing_two\r\nfrom range(1)');
      assert.deepEqual([crlf.line, crlf.column], [3, 3], 'Windows line ends count once');

      const wideLine = "  '日本語' || missing_three";
      const wide = await placeOf(`select '日本語' as label,\n${wideLine}`);
      assert.deepEqual([wide.line, wide.column], [2, wideLine.indexOf('missing_three') + 1], 'wide characters take one column each');

      const conversion = await placeOf("select 'x'::int as n");
      assert.match(conversion.message, /^Conversion Error/);
    } finally {
      await session.close();
    }
  });
});

test("writing twice replaces the attempt's earlier output, from rows with inferred types", async () => {
  await withWorkspace(async (ws) => {
    const session = await ws.openBlockSession({
      pipelineId: 'p',
      blockId: 'ts',
      runId: 'r1',
      attempt: 1,
      runOutputs: new Map(),
      readable: [],
    });
    try {
      await session.writeOutputFromQuery('select 1 as old');
      const written = await session.writeOutputFromRows([
        { id: 1, price: 1.5, big: 5n, name: 'a', ok: true, at: new Date('2024-01-02T03:04:05.678Z'), tags: ['x', 'y'], empty: null },
        { id: 2, price: 2, big: 6n, name: null, ok: false, at: null, tags: { k: 1 }, empty: null },
      ]);
      assert.equal(written, 2);
      const described = await session.describe('ts');
      assert.deepEqual(
        described.columns.map((c) => `${c.name} ${c.type}`),
        ['id BIGINT', 'price DOUBLE', 'big BIGINT', 'name VARCHAR', 'ok BOOLEAN', 'at TIMESTAMP', 'tags VARCHAR', 'empty VARCHAR'],
      );
      const rows = await session.queryRows(
        `select id, price, name, ok, strftime("at", '%Y-%m-%d %H:%M:%S.%f') as "at", tags from ${session.relation('ts')} order by id`,
      );
      assert.deepEqual(rows, [
        { id: 1n, price: 1.5, name: 'a', ok: true, at: '2024-01-02 03:04:05.678000', tags: '["x","y"]' },
        { id: 2n, price: 2, name: null, ok: false, at: null, tags: '{"k":1}' },
      ]);
      await assert.rejects(session.writeOutputFromRows([]), /no rows to write/);
      await assert.rejects(session.writeOutputFromRows([{ a: 1, A: 2 }]), /two output columns are named "A"/);
    } finally {
      await session.close();
    }
  });
});

test('interrupt stops a long query in a session', async () => {
  await withWorkspace(async (ws) => {
    const session = await ws.openBlockSession({
      pipelineId: 'p',
      blockId: 'slow',
      runId: 'r1',
      attempt: 1,
      runOutputs: new Map(),
      readable: [],
    });
    try {
      const started = Date.now();
      const running = session.writeOutputFromQuery('select count(*) as n from range(10000000000) a');
      let ended: { error: unknown } | null = null;
      running.then(
        () => (ended = { error: null }),
        (error: unknown) => (ended = { error }),
      );
      // DuckDB tells nobody when the query starts: interrupt until it stops (an interrupt before it runs does nothing).
      const { error } = await waitUntil(
        () => {
          if (!ended) session.interrupt();
          return ended;
        },
        { what: 'the query to stop', intervalMs: 50 },
      );
      assert.match(String(error), /Interrupt/i);
      assert.ok(Date.now() - started < 10_000);
      assert.deepEqual(await session.queryRows('select 1 as still_usable'), [{ still_usable: 1 }]);
    } finally {
      await session.close();
    }
  });
});

test('closing a session stops its running query first (DuckDB would keep running it)', async () => {
  await withWorkspace(async (ws) => {
    const session = await ws.openBlockSession({
      pipelineId: 'p',
      blockId: 'slow',
      runId: 'r1',
      attempt: 1,
      runOutputs: new Map(),
      readable: [],
    });
    const started = Date.now();
    const running = session.queryRows('select count(*) as n from range(10000000000) a');
    await session.close(); // at once: close interrupts until the query has stopped, wherever it had got to
    await assert.rejects(running, /Interrupt/i);
    assert.ok(Date.now() - started < 10_000, 'close did not wait for the full query');
    await assert.rejects(session.queryRows('select 1'), /closed/);
  });
});

test('a workspace file held by another process is refused with a UserError naming the file and the PID', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-ws-'));
  const file = path.join(dir, 'workspace.duckdb');
  const script = `import { Workspace } from ${JSON.stringify(path.resolve('main/data/workspace.ts'))};
    await Workspace.open({ path: ${JSON.stringify(file)} }); console.log('ready'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) resolve();
      });
      child.on('exit', (code) => reject(new Error(`child exited early with ${code}`)));
    });
    await assert.rejects(Workspace.open({ path: file }), (err: unknown) => {
      assert.ok(err instanceof UserError);
      assert.match(err.message, new RegExp(`in use by another Pipewright process \\(PID ${child.pid}\\)`));
      assert.ok(err.message.includes(file));
      assert.equal(err.place.file, file);
      return true;
    });
  } finally {
    child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});
