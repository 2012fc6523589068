import { UserError } from '../model/errors.ts';
import type { BlockContext } from '../model/block-kind.ts';
import type { BlockTestResult, OutputStats } from '../model/run-events.ts';
import { checkLine, runBlockChecks } from './block-checks.ts';
import { measureOutput } from './output-stats.ts';
import { compareWithBaseline, type DriftBaseline } from './drift.ts';

/** Finds the stats of a block's previous successful run (the run store implements it). */
export type BaselineLookup = (blockId: string) => DriftBaseline | undefined;

export interface GateOutcome {
  /** Check and drift results, in the order they ran. */
  results: BlockTestResult[];
  /** The output's stats for the history (absent when a check refused to run). */
  stats?: OutputStats;
  /** Set when a check or drift kind with severity fail did not pass, or a check was refused: the block fails. */
  failure?: UserError;
}

/**
 * After a block wrote its output (and its tests passed), before it is published: 1. its checks, 2. its output stats,
 * 3. drift against its previous successful run. Warnings are logged and kept; a `fail` ends the block.
 */
export async function runOutputGates(ctx: BlockContext, baselineOf?: BaselineLookup): Promise<GateOutcome> {
  const block = ctx.block;
  let results: BlockTestResult[];
  try {
    results = await runBlockChecks(ctx);
  } catch (error) {
    if (error instanceof UserError) return { results: [], failure: error };
    throw error;
  }
  const stats = await measureOutput(ctx, block.drift !== undefined);
  if (block.drift) {
    const baseline = findBaseline(ctx, baselineOf);
    if (baseline !== 'unreadable') results = [...results, ...logged(ctx, compareWithBaseline(block.drift, stats, baseline))];
  }
  const failed = results.find((r) => !r.passed && r.severity !== 'warn');
  if (!failed) return { results, stats };
  const what = failed.source === 'drift' ? `drift ${failed.name}` : `check ${failed.name}`;
  return { results, stats, failure: new UserError(`${what} failed: ${failed.message ?? 'no message'}`, { block: block.id }) };
}

function logged(ctx: BlockContext, drift: BlockTestResult[]): BlockTestResult[] {
  for (const result of drift) ctx.log(result.passed ? 'info' : result.severity === 'fail' ? 'error' : 'warn', checkLine(result));
  return drift;
}

/** The baseline, none (a first run, or no run store), or `unreadable` when the history failed: then drift is not compared. */
function findBaseline(ctx: BlockContext, baselineOf: BaselineLookup | undefined): DriftBaseline | undefined | 'unreadable' {
  if (!baselineOf) return undefined;
  try {
    return baselineOf(ctx.block.id);
  } catch (error) {
    // The history could not be read: the block runs on, and its log says drift was not compared.
    ctx.log('warn', `drift not compared: the run history could not be read (${(error as Error).message})`);
    return 'unreadable';
  }
}
