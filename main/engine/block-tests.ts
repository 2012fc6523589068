import type { BlockContext } from '../model/block-kind.ts';
import type { BlockTestResult } from '../model/run-events.ts';
import { renderTemplate } from '../model/templating.ts';
import type { CodeSandbox } from '../model/engine-types.ts';
import { quoteIdent } from '../data/sql-names.ts';

const SAMPLE_ROWS = 3;

/**
 * Runs a block's tests on its fresh output: a SQL test passes when its query returns no rows; a TypeScript test
 * passes when its function returns (in the sandbox). The block's own id names its output inside test SQL.
 */
export async function runBlockTests(ctx: BlockContext, sandbox: CodeSandbox): Promise<BlockTestResult[]> {
  const tests = ctx.block.tests;
  if (tests.length === 0) return [];
  const own = ctx.data.relation(ctx.block.id);
  if (own !== quoteIdent(ctx.block.id)) {
    await ctx.data.run(`CREATE OR REPLACE TEMP VIEW ${quoteIdent(ctx.block.id)} AS SELECT * FROM ${own}`);
  }
  const results: BlockTestResult[] = [];
  let output: Awaited<ReturnType<BlockContext['data']['readArrow']>> | undefined;
  for (const test of tests) {
    if ('sql' in test) {
      results.push(await runSqlTest(ctx, test.name, test.sql));
    } else {
      output ??= await ctx.data.readArrow(ctx.block.id);
      results.push(await sandbox.runTypeScriptTest(ctx, test, output));
    }
  }
  return results;
}

async function runSqlTest(ctx: BlockContext, name: string, sql: string): Promise<BlockTestResult> {
  const query = renderTemplate(sql, ctx.variables).trim().replace(/;\s*$/, '');
  try {
    const [counted] = await ctx.data.queryRows(`SELECT count(*) AS n FROM (\n${query}\n)`);
    const n = Number(counted?.n ?? 0);
    if (n === 0) return { name, passed: true };
    const sample = await ctx.data.queryRows(`SELECT * FROM (\n${query}\n) LIMIT ${SAMPLE_ROWS}`);
    return { name, passed: false, message: `${n} row${n === 1 ? '' : 's'} violate it, e.g. ${JSON.stringify(sample, jsonSafe)}` };
  } catch (error) {
    return { name, passed: false, message: `the test query failed: ${error instanceof Error ? error.message : String(error)}` };
  }
}

function jsonSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? Number(value) : value;
}
