import type { Edge, Node } from '@xyflow/react';
import { layoutAll, NODE_HEIGHT } from '../canvas/auto-layout.ts';
import { describeChildren, summarizeTally } from '../orchestration/children-state.ts';
import type { RunGraphBlock } from '../../../main/api/connections-contract.ts';
import type { BlockRunRow } from '../../../main/api/contract-views.ts';

/** What a node of a run's graph shows: serialisable facts about the block in that run. */
export type RunNodeData = {
  blockId: string;
  kind?: string;
  blockType?: string;
  /** `not run` when the run never planned the block (a partial run). */
  status: string;
  rowsOut: number | null;
  durationMs: number | null;
  attempts: number;
  error?: string;
  /** `2/3 ✓, 1 failed` for a dynamic block's children. */
  children?: string;
};
export type RunFlowNode = Node<RunNodeData, 'run-block'>;

const VERTICAL_GAP = 16;
const CHILD_ID = /^(.+)\[\d+\]$/;

/** React Flow nodes and edges of a run: the graph's blocks placed by the canvas's auto-layout (or stacked when no edges are known). */
export function toRunGraph(blocks: RunGraphBlock[], rows: BlockRunRow[], isCurrent: boolean): { nodes: RunFlowNode[]; edges: Edge[] } {
  const shown = blocks.filter((b) => !CHILD_ID.test(b.id));
  const positions = isCurrent
    ? layoutAll(shown)
    : Object.fromEntries(shown.map((b, i) => [b.id, { x: 0, y: i * (NODE_HEIGHT + VERTICAL_GAP) }]));
  const byId = new Map(rows.map((r) => [r.blockId, r]));
  const nodes = shown.map((b): RunFlowNode => {
    const row = byId.get(b.id);
    const children = summarizeTally(row?.children);
    const status = row?.status ?? 'not run';
    return {
      id: b.id,
      type: 'run-block',
      position: positions[b.id] ?? { x: 0, y: 0 },
      ariaRole: 'button',
      ariaLabel: b.id,
      data: {
        blockId: b.id,
        status,
        rowsOut: row?.rowsOut ?? null,
        durationMs: row?.durationMs ?? null,
        attempts: row?.attempts ?? 0,
        ...(b.kind ? { kind: b.kind } : {}),
        ...(b.type ? { blockType: b.type } : {}),
        ...(row?.error ? { error: row.error.message } : {}),
        ...(children ? { children: describeChildren(children) } : {}),
      },
    };
  });
  const edges = shown.flatMap((b) =>
    b.upstream.map((up): Edge => ({ id: `${up}->${b.id}`, source: up, target: b.id, ariaLabel: `Connection from ${up} to ${b.id}` })),
  );
  return { nodes, edges };
}
