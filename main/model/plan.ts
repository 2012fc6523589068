import { UserError } from './errors.ts';
import type { BlockType } from './schema.ts';
import type { RunScope } from './run-events.ts';

export interface GraphBlock {
  id: string;
  type: BlockType;
  upstream: readonly string[];
  /** A SQL condition names the upstream it reads (`over`). */
  condition?: { over?: string } | { typescript: string } | { python: string };
  dynamic?: boolean;
  reduce?: boolean;
  /** Where a SQL block runs (resolved at load); a warehouse block's output is a warehouse table, not a local one. */
  engine?: string;
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
  for (const block of blocks) checkConditionAndFanOut(block, byId);
}

/** The dynamic block that fans `block` out (one of its direct upstream blocks), if any. */
export function dynamicParentOf(block: GraphBlock, byId: ReadonlyMap<string, GraphBlock>): string | undefined {
  return block.upstream.find((up) => byId.get(up)?.dynamic === true);
}

/** `condition.over` is an upstream; fan-outs are one level deep, and what reads a fanned-out block needs its reduce. */
function checkConditionAndFanOut(block: GraphBlock, byId: ReadonlyMap<string, GraphBlock>): void {
  const place = { block: block.id };
  const over = block.condition && 'over' in block.condition ? block.condition.over : undefined;
  if (over !== undefined && !block.upstream.includes(over)) {
    throw new UserError(
      `block ${block.id}: condition.over '${over}' is not one of its upstream blocks (${block.upstream.join(', ') || 'none'})`,
      { ...place, path: 'condition.over' },
    );
  }
  if (over !== undefined && byId.get(over)?.type === 'export') {
    const readable = dataUpstreamOf(block, [...byId.values()]);
    const instead = readable.length > 0 ? `: name ${readable.join(' or ')}` : '';
    throw new UserError(`block ${block.id}: condition.over '${over}' is an export: exports have no output to evaluate over${instead}`, {
      ...place,
      path: 'condition.over',
    });
  }
  const dynamicUps = block.upstream.filter((up) => byId.get(up)?.dynamic === true);
  if (dynamicUps.length > 1) {
    throw new UserError(
      `block ${block.id} reads two dynamic blocks (${dynamicUps.join(', ')}): a block fans out over one list only`,
      place,
    );
  }
  const isFannedOut = dynamicUps.length === 1;
  if (isFannedOut && block.dynamic) {
    throw new UserError(`block ${block.id} is fanned out by ${dynamicUps[0]} and cannot be dynamic itself: fan-outs are one level deep`, {
      ...place,
      path: 'dynamic',
    });
  }
  if (block.reduce && !isFannedOut) {
    throw new UserError(`block ${block.id} has reduce: true but no dynamic upstream block: reduce unions the children of a fan-out`, {
      ...place,
      path: 'reduce',
    });
  }
  for (const up of block.upstream) {
    const parent = byId.get(up);
    if (!parent || parent.reduce || !dynamicParentOf(parent, byId)) continue;
    throw new UserError(
      `block ${block.id} reads ${up}, which runs once per item of ${dynamicParentOf(parent, byId)}: add reduce: true to ${up} to read its children's outputs as one table`,
      place,
    );
  }
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
  if (scope.kind === 'blocks') {
    const unknown = scope.blocks.filter((id) => !blocks.some((b) => b.id === id));
    if (unknown.length > 0)
      throw new UserError(`no block ${unknown.map((id) => `'${id}'`).join(', ')} in this pipeline; blocks are: ${order.join(', ')}`);
    return order.filter((id) => scope.blocks.includes(id));
  }
  if (!blocks.some((b) => b.id === scope.block)) {
    throw new UserError(`no block '${scope.block}' in this pipeline; blocks are: ${order.join(', ')}`);
  }
  const chosen = new Set([scope.block]);
  if (scope.kind === 'with-upstream') for (const id of ancestorsOf(blocks, scope.block)) chosen.add(id);
  if (scope.kind === 'downstream') for (const id of descendantsOf(blocks, scope.block)) chosen.add(id);
  return order.filter((id) => chosen.has(id));
}

/**
 * The upstream blocks whose local output `block` can read: exports write elsewhere and keep no output, and blocks
 * that run in a warehouse keep theirs there, so they only order it.
 */
export function dataUpstreamOf(block: GraphBlock, blocks: readonly GraphBlock[]): string[] {
  return block.upstream.filter((id) => {
    const up = blocks.find((b) => b.id === id);
    return up?.type !== 'export' && (up?.engine === undefined || up.engine === 'duckdb');
  });
}
