import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { rowsBlock, sqlBlock, withPipeline, type ProjectRun } from './helpers/run-project.ts';

const trigger = { kind: 'test' as const };
const pipelineScope = { kind: 'pipeline' as const };

/** A folder outside every test project, to prove nothing reaches it. */
const outside = mkdtempSync(path.join(os.tmpdir(), 'pw-outside-'));
writeFileSync(path.join(outside, 'secret.csv'), 'secret\nhunter2\n');
process.on('exit', () => rmSync(outside, { recursive: true, force: true }));

async function runSql({ open, run, temp }: ProjectRun, sql: string) {
  temp.writeFile('blocks/q.sql', sql);
  const result = await run({ pipeline: await open.loadPipeline('p'), scope: pipelineScope, trigger });
  return result.blocks.find((b) => b.id === 'q');
}

const pipeline = { blocks: [rowsBlock('src', { rows: 3 }), sqlBlock('q', ['src'])] };

test('a SQL block with a second statement is refused, naming the block and the line, and the second never runs', async () => {
  const target = path.join(outside, 'copied.csv');
  await withPipeline(pipeline, async (ctx) => {
    const cases = [
      `select * from src;\n\nCOPY (select 42) TO '${target}'`,
      `select * from src; ATTACH '${path.join(outside, 'x.db')}' AS x`,
      'select * from src;\n-- harmless?\nSET threads = 1',
      "select ';' as semi from src; select 2",
    ];
    const lines = [3, 1, 3, 1];
    for (const [i, sql] of cases.entries()) {
      const block = await runSql(ctx, sql);
      assert.equal(block?.status, 'failed', sql);
      assert.equal(block?.error?.kind, 'user', sql);
      assert.equal(block?.error?.place?.block, 'q');
      assert.equal(block?.error?.place?.line, lines[i], sql);
      assert.match(block?.error?.message ?? '', /must be one statement/);
    }
    assert.equal(existsSync(target), false, 'the COPY never ran');
    assert.equal(existsSync(path.join(outside, 'x.db')), false, 'the ATTACH never ran');
    // One trailing semicolon (and a comment after it) is still one query.
    assert.equal((await runSql(ctx, 'select * from src; -- done\n'))?.status, 'succeeded');
  });
});

test('SQL cannot read, write, attach or install outside the project; inside it, it can', async () => {
  await withPipeline(pipeline, async (ctx) => {
    const link = path.join(ctx.temp.dir, 'escape');
    symlinkSync(outside, link);
    const refused = [
      `select * from read_csv('${path.join(outside, 'secret.csv')}')`,
      "select * from read_text('/etc/passwd')",
      `select * from read_csv('${ctx.temp.dir}/../${path.basename(outside)}/secret.csv')`,
      `select * from glob('${outside}/*')`,
      `select * from read_text('${path.join(ctx.temp.dir, 'escape', 'secret.csv')}')`,
    ];
    for (const sql of refused) {
      const block = await runSql(ctx, sql);
      assert.equal(block?.status, 'failed', sql);
      assert.equal(block?.error?.kind, 'user', sql);
      assert.match(block?.error?.message ?? '', /outside the project folder.*allowed_paths/, sql);
      assert.doesNotMatch(block?.error?.message ?? '', /hunter2|root:/);
    }
    ctx.temp.writeFile('data/inside.csv', 'a\n1\n2\n');
    const relative = await runSql(ctx, "select * from read_csv('data/inside.csv')");
    assert.match(relative?.error?.message ?? '', /write the full path of a file inside the project folder/);
    const inside = await runSql(ctx, `select * from read_csv('${path.join(ctx.temp.dir, 'data', 'inside.csv')}')`);
    assert.equal(inside?.status, 'succeeded', inside?.error?.message);
    assert.equal(inside?.rows, 2);
  });
});

test('a folder listed under allowed_paths (absolute, or relative to the project) is readable from SQL', async () => {
  for (const listed of [outside, `../${path.basename(outside)}`]) {
    await withPipeline(
      pipeline,
      async (ctx) => {
        const block = await runSql(ctx, `select * from read_csv('${path.join(outside, 'secret.csv')}')`);
        assert.equal(block?.status, 'succeeded', block?.error?.message);
      },
      { settings: { allowed_paths: [listed] } },
    );
  }
});

test('the SQL console runs one statement: a crafted parenthesis cannot start a second', async () => {
  await withPipeline(pipeline, async ({ open }) => {
    const target = path.join(open.project.dir, 'console-copy.csv');
    const crafted = [
      `select 1) t; COPY (select 42) TO '${target}'; select * from (select 1`,
      `select 1\n); COPY (select 42) TO '${target}'; (select 1`,
      `select 1; COPY (select 42) TO '${target}'`,
    ];
    for (const sql of crafted) {
      await assert.rejects(
        open.workspace.query(sql, { offset: 0, limit: 10 }),
        (error: Error & { kind?: string }) => {
          assert.equal(error.kind, 'user', error.message);
          assert.match(error.message, /must be one statement|syntax error/i);
          return true;
        },
        sql,
      );
    }
    assert.equal(existsSync(target), false, 'no COPY ran from the console');
    await assert.rejects(
      open.workspace.query("select * from read_text('/etc/passwd')", { offset: 0, limit: 10 }),
      /outside the project folder/,
    );
    await assert.rejects(
      open.workspace.query("select * from (select 1) where 1 = (SELECT 1 FROM query('INSTALL httpfs'))", { offset: 0, limit: 10 }),
    );
    const ok = await open.workspace.query('select 1 as one', { offset: 0, limit: 10 });
    assert.equal(ok.totalRows, 1);
  });
});

test('no SQL can lift the file restrictions (configuration is locked)', async () => {
  await withPipeline(pipeline, async ({ open }) => {
    const settings = await open.workspace.query(
      "select name, value from duckdb_settings() where name in ('enable_external_access', 'lock_configuration') order by name",
      { offset: 0, limit: 10 },
    );
    assert.equal(settings.totalRows, 2);
    await assert.rejects(open.workspace.query("select * from query('SET enable_external_access = true')", { offset: 0, limit: 1 }));
  });
});
