import { test } from 'node:test';
import assert from 'node:assert/strict';
import { freeSpot } from '../renderer/src/editing/placement.ts';
import { NODE_HEIGHT, NODE_WIDTH } from '../renderer/src/canvas/auto-layout.ts';

const apart = (a: { x: number; y: number }, b: { x: number; y: number }) =>
  Math.abs(a.x - b.x) >= NODE_WIDTH || Math.abs(a.y - b.y) >= NODE_HEIGHT;

test('three blocks added downstream of one block land right of it, each clear of every other block', () => {
  const parent = { x: 100, y: 200 };
  const taken = [parent, { x: 100, y: 320 }, { x: 400, y: 200 }];
  for (let i = 0; i < 3; i++) {
    const spot = freeSpot([parent], taken);
    assert.ok(spot.x > parent.x + NODE_WIDTH, `right of its parent: ${JSON.stringify(spot)}`);
    for (const other of taken) assert.ok(apart(spot, other), `${JSON.stringify(spot)} clear of ${JSON.stringify(other)}`);
    taken.push(spot);
  }
});

test('a block that reads none goes below everything; the first block goes at the origin', () => {
  assert.deepEqual(freeSpot([], []), { x: 0, y: 0 });
  const spot = freeSpot(
    [],
    [
      { x: 0, y: 0 },
      { x: 300, y: 100 },
    ],
  );
  assert.ok(spot.y >= 100 + NODE_HEIGHT, JSON.stringify(spot));
});
