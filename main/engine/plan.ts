import { UserError } from '../errors.ts';
import type { BlockType } from '../project/schema.ts';
import type { RunScope } from './run-events.ts';

export interface GraphBlock {
  id: string;
  type: BlockType;
  upstream: readonly string[];
}

/**
 * Checks a pipeline's graph: duplicate ids, unknown or self upstream, cycles, exports with nothing to export.
 * Throws one UserError naming the blocks involved.
 */
export function validateGraph(blocks: readonly GraphBlock[]): void {
  const byId = new Map<string, GraphBlock>();
  for (const block of blocks) {
    if (byId.has(block.id)) throw new UserError(`duplicate block id '${block.id}'`, { block: block.id });
    byId.set(block.id, block);
  }
  for (const block of blocks) {
    for (const up of block.upstream) {
      if (up === block.id) throw new UserError(`block ${block.id} lists itself as upstream`, { block: block.id });
      if (!byId.has(up)) {
        throw new UserError(`block ${block.id} has unknown upstream '${up}'; blocks are: ${[...byId.keys()].join(', ')}`, {
          block: block.id,
        });
      }
    }
    if ((block.type === 'export' || block.type === 'transform') && block.upstream.length === 0) {
      throw new UserError(
        `${block.type} block ${block.id} has no upstream: connect it to the block whose output it ${block.type === 'export' ? 'exports' : 'transforms'}`,
        { block: block.id },
      );
    }
  }
  const cycle = findCycle(blocks);
  if (cycle) throw new UserError(`cycle between blocks: ${cycle.join(' → ')}`, { block: cycle[0] });
}

/** Returns one cycle as a closed path of block ids (first id repeated at the end), or undefined. */
export function findCycle(blocks: readonly GraphBlock[]): string[] | undefined {
  const upstreamOf = new Map(blocks.map((b) => [b.id, b.upstream]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'visiting') return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, 'visiting');
    stack.push(id);
    for (const up of upstreamOf.get(id) ?? []) {
      const found = visit(up);
      if (found) return found;
    }
    stack.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const block of blocks) {
    const found = visit(block.id);
    if (found) return found.reverse();
  }
  return undefined;
}

/** Block ids in an order where every block comes after its upstream (stable: file order breaks ties). */
export function topologicalOrder(blocks: readonly GraphBlock[]): string[] {
  const remaining = new Map(blocks.map((b) => [b.id, new Set(b.upstream)]));
  const order: string[] = [];
  while (remaining.size > 0) {
    const ready = [...remaining].filter(([, ups]) => ups.size === 0).map(([id]) => id);
    if (ready.length === 0) throw new UserError(`cycle between blocks: ${[...remaining.keys()].join(', ')}`);
    for (const id of ready) {
      order.push(id);
      remaining.delete(id);
      for (const ups of remaining.values()) ups.delete(id);
    }
  }
  return order;
}

/** All blocks upstream of `id` (transitively), not including it. */
export function ancestorsOf(blocks: readonly GraphBlock[], id: string): Set<string> {
  const upstreamOf = new Map(blocks.map((b) => [b.id, b.upstream]));
  const seen = new Set<string>();
  const walk = (current: string) => {
    for (const up of upstreamOf.get(current) ?? []) {
      if (!seen.has(up)) {
        seen.add(up);
        walk(up);
      }
    }
  };
  walk(id);
  return seen;
}

/** All blocks downstream of `id` (transitively), not including it. */
export function descendantsOf(blocks: readonly GraphBlock[], id: string): Set<string> {
  const seen = new Set<string>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const block of blocks) {
      if (seen.has(block.id)) continue;
      if (block.upstream.some((up) => up === id || seen.has(up))) {
        seen.add(block.id);
        grew = true;
      }
    }
  }
  return seen;
}

/**
 * The blocks a run of `scope` executes, in topological order. Upstream blocks outside the selection are
 * read from their latest stored outputs.
 */
export function selectBlocks(blocks: readonly GraphBlock[], scope: RunScope): string[] {
  const order = topologicalOrder(blocks);
  if (scope.kind === 'pipeline') return order;
  if (!blocks.some((b) => b.id === scope.block)) {
    throw new UserError(`no block '${scope.block}' in this pipeline; blocks are: ${order.join(', ')}`);
  }
  const chosen = new Set([scope.block]);
  if (scope.kind === 'with-upstream') for (const id of ancestorsOf(blocks, scope.block)) chosen.add(id);
  if (scope.kind === 'downstream') for (const id of descendantsOf(blocks, scope.block)) chosen.add(id);
  return order.filter((id) => chosen.has(id));
}
