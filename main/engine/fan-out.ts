import { z } from 'zod';
import { UserError, toErrorShape, type ErrorShape } from '../model/errors.ts';
import type { LoadedBlock } from '../model/project.ts';
import { quoteIdent } from '../data/sql-names.ts';
import type { BlockContext, BlockKind } from '../model/block-kind.ts';
import type { FanOutWorkspace } from '../model/engine-types.ts';
import { childId } from '../model/child-ids.ts';
import { dataUpstreamOf } from '../model/plan.ts';
import { runBlock, withBlockContext, type BlockFinal, type RunEnv } from './block-runner.ts';
import type { SlotPool } from './slot-pool.ts';
import { cancelBlock, failBeforeStart, skipBlock } from './block-finals.ts';
import { createProgressThrottle } from './progress-throttle.ts';

/** Children unioned per statement when reducing: keeps each SQL text small however many children there are. */
const REDUCE_BATCH = 100;

/** What the children of one fan-out came to; only counts are kept, never one object per child. */
interface ChildrenOutcome {
  total: number;
  failed: number;
  firstFailure?: { childId: string; error: ErrorShape };
  isCancelled: boolean;
  rows: number;
  /** SQL relations holding every child's output (the shared table, then children's own tables), for reduce. */
  relations: string[];
}

export { childId };

/**
 * Runs `block` once per row of its dynamic upstream `parentId` (children `<block>[<n>]`, each with `{{ item.<column> }}`,
 * its own attempts, logs and output), started lazily under the run's shared slots; then, with `reduce: true`, unions
 * their outputs into the block's own. Zero items skip the block; a child that still fails after its retries fails it.
 */
export async function runFanOut(env: RunEnv, block: LoadedBlock, parentId: string, slots: SlotPool): Promise<BlockFinal> {
  const started = Date.now();
  // 1. The items: every row of the dynamic block's output (this run's, or its latest), sorted so child numbers are stable.
  let items: Record<string, unknown>[] | undefined;
  try {
    items = await slots.run(() =>
      withBlockContext(env, block, [parentId], (ctx) => ctx.data.queryRows(`SELECT * FROM ${quoteIdent(parentId)} ORDER BY ALL`)),
    );
  } catch (error) {
    if (env.runSignal.aborted) return cancelBlock(env, block.id, started);
    return failBeforeStart(env, block.id, toErrorShape(error, { block: block.id }), started);
  }
  if (!items) return cancelBlock(env, block.id, started);
  if (items.length === 0) return skipBlock(env, block.id, 'skipped', `dynamic block ${parentId} yielded no items`, started);
  env.emit({
    type: 'log.written',
    runId: env.runId,
    blockId: block.id,
    level: 'info',
    message: `${items.length.toLocaleString('en-US')} items from ${parentId}: one child each`,
    at: Date.now(),
  });
  // 2. The children, a few at a time, their outputs in one shared table.
  let fanOut: FanOutWorkspace;
  try {
    fanOut = await env.workspace.openFanOut({
      pipelineId: env.pipeline.id,
      blockId: block.id,
      runId: env.runId,
      runOutputs: env.runOutputs,
      readable: dataUpstreamOf(block, env.pipeline.blocks),
      // A source child reads a whole file (a month of trips): its own table, written and spilled like any output. The
      // shared table stages children's rows until they are recorded, which ran out of memory at 300MB on ten months.
      sharesOutput: block.type !== 'source',
    });
  } catch (error) {
    return failBeforeStart(env, block.id, toErrorShape(error, { block: block.id }), started);
  }
  let children: ChildrenOutcome;
  try {
    children = await runChildren(env, block, items, slots, fanOut);
    if (!children.isCancelled) children.relations = await fanOut.finish();
  } catch (error) {
    return failBeforeStart(env, block.id, toErrorShape(error, { block: block.id }), started);
  } finally {
    await fanOut.close();
  }
  if (children.isCancelled) return cancelBlock(env, block.id, started);
  if (children.firstFailure) {
    const { childId: first, error } = children.firstFailure;
    // The block itself failed (through its children): its upstream, the dynamic block, succeeded.
    const message = `${children.failed} of ${children.total} children failed (first: ${first}: ${error.message})`;
    return failBeforeStart(env, block.id, { ...error, message }, started);
  }
  // 3. The block's own step: the union of the children's outputs (reduce), or a summary of what they did.
  const finish = await slots.run(() => runBlock({ ...env, kindOf: () => finishKind(block, children) }, { ...block, config: {} }));
  return finish ?? cancelBlock(env, block.id, started);
}

/** Starts a child only when a slot is free, so 100,000 items never mean 100,000 promises or events at once. */
async function runChildren(
  env: RunEnv,
  block: LoadedBlock,
  items: Record<string, unknown>[],
  slots: SlotPool,
  fanOut: FanOutWorkspace,
): Promise<ChildrenOutcome> {
  const outcome: ChildrenOutcome = { total: items.length, failed: 0, isCancelled: false, rows: 0, relations: [] };
  const inFlight = new Set<Promise<void>>();
  // The fanned-out block's own row shows how many children have finished (throttled like any progress).
  const throttle = createProgressThrottle();
  let settled = 0;
  const reportSettled = () => {
    const update = { phase: 'children', done: ++settled, total: items.length, unit: 'items' as const };
    const rate = throttle(update);
    if (rate !== undefined) env.emit({ type: 'block.progressed', runId: env.runId, blockId: block.id, ...update, rate, at: Date.now() });
  };
  for (let index = 0; index < items.length; index++) {
    const release = await slots.acquire();
    if (!release) break;
    const child = runChild({ ...env, outputs: fanOut.child(index) }, block, index, items[index] ?? {}, outcome).finally(() => {
      release();
      inFlight.delete(child);
      reportSettled();
    });
    inFlight.add(child);
  }
  await Promise.all(inFlight);
  outcome.isCancelled = env.runSignal.aborted;
  return outcome;
}

async function runChild(
  env: RunEnv,
  block: LoadedBlock,
  index: number,
  item: Record<string, unknown>,
  outcome: ChildrenOutcome,
): Promise<void> {
  const id = childId(block.id, index);
  env.emit({ type: 'block.added', runId: env.runId, blockId: id, parentId: block.id, index, at: Date.now() });
  env.emit({
    type: 'log.written',
    runId: env.runId,
    blockId: id,
    level: 'info',
    message: `item ${index}: ${describeItem(item)}`,
    at: Date.now(),
  });
  const { condition: _condition, reduce: _reduce, ...rest } = block;
  const final = await runBlock({ ...env, variables: { ...env.variables, item } }, { ...rest, id });
  if (final.status === 'succeeded') {
    outcome.rows += final.outcome?.rowsOut ?? 0;
  } else if (final.status === 'failed') {
    outcome.failed++;
    if (!outcome.firstFailure && final.error) outcome.firstFailure = { childId: id, error: final.error };
  }
}

/** The fanned-out block's own step: reduce its children's outputs into one table, or report what they did. */
function finishKind(block: LoadedBlock, children: ChildrenOutcome): BlockKind {
  return {
    type: block.type,
    kind: block.reduce ? 'reduce' : 'fan_out',
    title: block.reduce ? 'Union of the children' : 'Children summary',
    configSchema: z.unknown(),
    code: 'none',
    async run(ctx) {
      if (!block.reduce) {
        ctx.log('info', `${children.total.toLocaleString('en-US')} children succeeded`);
        return { rowsOut: children.rows, hasOutput: false };
      }
      const tables = children.relations;
      if (tables.length === 0) {
        throw new UserError(
          `reduce: true, but no child of ${block.id} wrote an output (a ${block.type} block writes none): remove reduce`,
          { block: block.id, path: 'reduce' },
        );
      }
      const rowsOut = await unionByName(ctx, tables);
      ctx.log('info', `reduced ${tables.length.toLocaleString('en-US')} children into one output`);
      return { rowsIn: children.rows, rowsOut, hasOutput: true };
    },
  };
}

/**
 * UNION ALL BY NAME over the relations, at most REDUCE_BATCH per statement: batches are unioned into temp tables,
 * those again, until one statement writes the output. Each row is copied once per level (log n levels), never once
 * per batch. Children in the shared table are one relation: reducing them all is one statement.
 */
async function unionByName(ctx: BlockContext, relations: string[]): Promise<number> {
  let level = relations;
  let temps: string[] = [];
  for (let depth = 0; level.length > REDUCE_BATCH; depth++) {
    const next: string[] = [];
    for (let start = 0; start < level.length; start += REDUCE_BATCH) {
      const temp = quoteIdent(`_pw_reduce_${depth}_${next.length}`);
      await ctx.data.run(`CREATE TEMP TABLE ${temp} AS ${unionOf(level.slice(start, start + REDUCE_BATCH))}`);
      next.push(temp);
    }
    for (const done of temps) await ctx.data.run(`DROP TABLE ${done}`);
    level = temps = next;
  }
  return ctx.data.writeOutputFromQuery(unionOf(level));
}

function unionOf(relations: string[]): string {
  return relations.map((relation) => `SELECT * FROM ${relation}`).join('\nUNION ALL BY NAME\n');
}

/** An item as one short log line (bigints and dates as text). */
function describeItem(item: Record<string, unknown>): string {
  const text = JSON.stringify(item, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
