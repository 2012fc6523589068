import { toErrorShape } from '../model/errors.ts';
import type { LoadedBlock } from '../model/project.ts';
import { evaluateCondition } from './block-condition.ts';
import { cancelBlock, failBeforeStart, skipBlock } from './block-finals.ts';
import { runBlock, type BlockFinal, type RunEnv } from './block-runner.ts';
import { runFanOut } from './fan-out.ts';
import { dynamicParentOf, type GraphBlock } from '../model/plan.ts';
import type { SlotPool } from './slot-pool.ts';

/**
 * Runs one block of the plan once its upstream succeeded: its condition first (false: skipped with the reason),
 * then the block itself in a slot, or once per item when a dynamic upstream fans it out. Never throws.
 */
export async function runNode(
  env: RunEnv,
  block: LoadedBlock,
  byId: ReadonlyMap<string, GraphBlock>,
  slots: SlotPool,
): Promise<BlockFinal> {
  const started = Date.now();
  // 1. The condition, evaluated in a slot like any work that touches the workspace.
  if (block.condition) {
    const condition = block.condition;
    let verdict;
    try {
      verdict = await slots.run(() => evaluateCondition(env, block, condition));
    } catch (error) {
      if (env.runSignal.aborted) return cancelBlock(env, block.id, started);
      const field = 'sql' in condition ? 'condition.sql' : 'python' in condition ? 'condition.python' : 'condition.typescript';
      return failBeforeStart(env, block.id, toErrorShape(error, { block: block.id, path: field }), started);
    }
    if (!verdict) return cancelBlock(env, block.id, started);
    if (!verdict.holds) return skipBlock(env, block.id, 'skipped', verdict.reason, started);
  }
  // 2. Fanned out by a dynamic upstream: one child per item.
  const parentId = dynamicParentOf(block, byId);
  if (parentId) return runFanOut(env, block, parentId, slots);
  // 3. An ordinary block.
  return (await slots.run(() => runBlock(env, block))) ?? cancelBlock(env, block.id, started);
}
