import { NODE_HEIGHT, NODE_WIDTH } from '../canvas/auto-layout.ts';

type Position = { x: number; y: number };

/** Room kept around a block, so a new one never touches another. */
const GAP_X = 64;
const GAP_Y = 32;

function overlaps(a: Position, b: Position): boolean {
  return Math.abs(a.x - b.x) < NODE_WIDTH + GAP_X / 2 && Math.abs(a.y - b.y) < NODE_HEIGHT + GAP_Y / 2;
}

/**
 * Where a new block goes: one column right of the blocks it reads (downstream, so edges run left to right), at the
 * height of the highest of them, moved down a row at a time until it overlaps no block; a block that reads none goes
 * below everything. Each call sees the blocks placed before it, so three exports of one block stack up, never overlap.
 */
export function freeSpot(parents: Position[], taken: Position[]): Position {
  const start =
    parents.length > 0
      ? { x: Math.max(...parents.map((p) => p.x)) + NODE_WIDTH + GAP_X, y: Math.min(...parents.map((p) => p.y)) }
      : taken.length > 0
        ? { x: Math.min(...taken.map((p) => p.x)), y: Math.max(...taken.map((p) => p.y)) + NODE_HEIGHT + GAP_Y }
        : { x: 0, y: 0 };
  const spot = { ...start };
  while (taken.some((p) => overlaps(p, spot))) spot.y += NODE_HEIGHT + GAP_Y;
  return spot;
}
