import { UserError } from '../model/errors.ts';
import { quoteIdent } from '../data/sql-names.ts';
import type { BlockContext } from '../model/block-kind.ts';
import type { BlockTestResult } from '../model/run-events.ts';
import { compileCheck, type CompiledCheck } from './check-sql.ts';

/** Failing rows kept per check (log and history). */
export const SAMPLE_ROWS = 5;

/**
 * Runs a block's `checks:` on its fresh output, one log line each (✓ / ⚠ / ✗ with the failing count). Throws a
 * UserError naming the check, column and block when a check reads a column the output (or a related block) lacks;
 * a check whose query fails (a type mismatch) is a failed check carrying the database's message.
 */
export async function runBlockChecks(ctx: BlockContext): Promise<BlockTestResult[]> {
  const checks = ctx.block.checks ?? [];
  if (checks.length === 0) return [];
  const own = ctx.block.id;
  // The block's id names its output inside check SQL, as in tests, whatever physical table holds it.
  if (ctx.data.relation(own) !== quoteIdent(own)) {
    await ctx.data.run(`CREATE OR REPLACE TEMP VIEW ${quoteIdent(own)} AS SELECT * FROM ${ctx.data.relation(own)}`);
  }
  const compiled = checks.map((check) => compileCheck(check, own, ctx.variables));
  await refuseUnknownColumns(ctx, compiled);
  const results: BlockTestResult[] = [];
  for (const check of compiled) {
    const result = await runCheck(ctx, check);
    ctx.log(result.passed ? 'info' : result.severity === 'warn' ? 'warn' : 'error', checkLine(result));
    results.push(result);
  }
  return results;
}

/** The column names of the output that `compiled` read, compared as DuckDB does (case-insensitively). */
async function refuseUnknownColumns(ctx: BlockContext, compiled: CompiledCheck[]): Promise<void> {
  const own = ctx.block.id;
  const ownColumns = (await ctx.data.describe(own)).columns.map((c) => c.name);
  for (const check of compiled) {
    const missing = check.columns.find((c) => !hasColumn(ownColumns, c));
    if (missing) throw unknownColumn(check, missing, own, ownColumns);
    if (!check.foreign) continue;
    const { block, column } = check.foreign;
    if (!ctx.block.upstream.includes(block)) {
      throw new UserError(`check ${check.name}: ${block} is not an upstream of block ${own}; add it to upstream`, { block: own });
    }
    const theirs = (await ctx.data.describe(block)).columns.map((c) => c.name);
    if (!hasColumn(theirs, column)) throw unknownColumn(check, column, block, theirs);
  }
}

function hasColumn(columns: string[], name: string): boolean {
  return columns.some((c) => c.toLowerCase() === name.toLowerCase());
}

function unknownColumn(check: CompiledCheck, column: string, block: string, columns: string[]): UserError {
  const shown = columns.length > 12 ? `${columns.slice(0, 12).join(', ')}, …` : columns.join(', ');
  return new UserError(`check ${check.name}: block ${block} has no column ${column} (it has ${shown})`, { block });
}

async function runCheck(ctx: BlockContext, check: CompiledCheck): Promise<BlockTestResult> {
  const base = { name: check.name, source: 'check' as const, severity: check.severity };
  try {
    const [counted] = await ctx.data.queryRows(`SELECT count(*) AS n FROM (\n${check.violationsSql}\n)`);
    const failing = Number(counted?.n ?? 0);
    if (failing === 0) return { ...base, passed: true, failing: 0 };
    const sample = (await ctx.data.queryRows(`SELECT * FROM (\n${check.violationsSql}\n) LIMIT ${SAMPLE_ROWS}`)).map(plain);
    return { ...base, passed: false, failing, sample, message: violationText(check, failing, sample) };
  } catch (error) {
    // A check that cannot run says nothing about the data: it fails, whatever its severity, with the database's words.
    const message = `the check could not run: ${error instanceof Error ? error.message : String(error)}`;
    return { ...base, severity: 'fail', passed: false, message };
  }
}

function violationText(check: CompiledCheck, failing: number, sample: Record<string, unknown>[]): string {
  if (check.unit === 'result') return JSON.stringify(sample[0]);
  const unit = check.unit === 'key' ? 'duplicated key' : 'failing row';
  return `${failing.toLocaleString('en-US')} ${unit}${failing === 1 ? '' : 's'}, e.g. ${JSON.stringify(sample.slice(0, 2))}`;
}

/** `✓ check not_null(passenger_count)`, `✗ check unique(id): 3 duplicated keys, e.g. …`. */
export function checkLine(result: BlockTestResult): string {
  const mark = result.passed ? '✓' : result.severity === 'warn' ? '⚠' : '✗';
  return `${mark} ${result.source ?? 'test'} ${result.name}${result.message ? `: ${result.message}` : ''}`;
}

/** JSON-safe values (BIGINT → number, dates → ISO text) so samples survive the history and the API. */
function plain(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, toPlain(v)]));
}

function toPlain(value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Date) return value.toISOString();
  if (value !== null && typeof value === 'object') return String(value);
  return value;
}
