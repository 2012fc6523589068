import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findCycle, selectBlocks, topologicalOrder, validateGraph, type GraphBlock } from '../main/model/plan.ts';
import { renderConfig, renderTemplate } from '../main/model/templating.ts';
import { mergeRetryPolicy, retryDelayMs } from '../main/engine/retry-policy.ts';
import { toSnakeCase } from '../main/blocks/snake-case.ts';
import { UserError } from '../main/model/errors.ts';

const b = (id: string, type: GraphBlock['type'], upstream: string[] = []): GraphBlock => ({ id, type, upstream });
const diamond = [
  b('load', 'source'),
  b('left', 'transform', ['load']),
  b('right', 'transform', ['load']),
  b('join', 'transform', ['left', 'right']),
  b('out', 'export', ['join']),
];

test('validateGraph names both blocks of a cycle', () => {
  const blocks = [b('a', 'source', ['c']), b('b', 'transform', ['a']), b('c', 'transform', ['b'])];
  assert.throws(
    () => validateGraph(blocks),
    (err: unknown) =>
      err instanceof UserError &&
      /cycle between blocks: .*a.*b.*c|cycle/.test(err.message) &&
      ['a', 'b', 'c'].every((id) => err.message.includes(id)),
  );
  assert.deepEqual(new Set(findCycle(blocks)), new Set(['a', 'b', 'c']));
});

test('validateGraph refuses an unknown upstream, a duplicate id and a disconnected export', () => {
  assert.throws(() => validateGraph([b('a', 'source'), b('t', 'transform', ['nope'])]), /block t has unknown upstream 'nope'/);
  assert.throws(() => validateGraph([b('a', 'source'), b('a', 'source')]), /duplicate block id 'a'/);
  assert.throws(() => validateGraph([b('a', 'source'), b('out', 'export')]), /export block out has no upstream/);
  assert.doesNotThrow(() => validateGraph(diamond));
});

test('topologicalOrder puts every block after its upstream', () => {
  const order = topologicalOrder(diamond);
  for (const block of diamond)
    for (const up of block.upstream) assert.ok(order.indexOf(up) < order.indexOf(block.id), `${up} before ${block.id}`);
});

test('selectBlocks picks one block, its upstream, or its downstream', () => {
  assert.deepEqual(selectBlocks(diamond, { kind: 'block', block: 'left' }), ['left']);
  assert.deepEqual(selectBlocks(diamond, { kind: 'with-upstream', block: 'join' }), ['load', 'left', 'right', 'join']);
  assert.deepEqual(selectBlocks(diamond, { kind: 'downstream', block: 'left' }), ['left', 'join', 'out']);
  assert.equal(selectBlocks(diamond, { kind: 'pipeline' }).length, 5);
  assert.throws(() => selectBlocks(diamond, { kind: 'block', block: 'ghost' }), /no block 'ghost'/);
});

test('templates render variables, keep whole-value types, and name unknown variables', () => {
  assert.equal(renderTemplate("select * from t where d = '{{ ds }}'", { ds: '2021-01-01' }), "select * from t where d = '2021-01-01'");
  assert.deepEqual(renderConfig({ n: '{{ n }}', list: ['a{{n}}'] }, { n: 3 }), { n: 3, list: ['a3'] });
  assert.throws(() => renderTemplate('{{ nope }}', { yes: 1 }), /unknown variable 'nope'.*yes/);
});

test('retry delays grow exponentially with jitter and stay under the cap', () => {
  const policy = mergeRetryPolicy({ retries: 5, delay: 1, max_delay: 6 });
  assert.equal(policy.retries, 5);
  const low = (attempt: number) => retryDelayMs(policy, attempt, () => 0);
  const high = (attempt: number) => retryDelayMs(policy, attempt, () => 1);
  assert.deepEqual([1, 2, 3, 4].map(low), [500, 1000, 2000, 3000]);
  assert.deepEqual([1, 2, 3, 4].map(high), [1000, 2000, 4000, 6000]);
  assert.equal(
    retryDelayMs(policy, 1, () => 0, 5000),
    5000,
    'Retry-After wins when longer',
  );
  assert.deepEqual(mergeRetryPolicy(), { retries: 2, delayMs: 5000, maxDelayMs: 60000, exponential: true });
});

test('snake_case keeps acronyms whole', () => {
  const cases: Record<string, string> = {
    VendorID: 'vendor_id',
    RatecodeID: 'ratecode_id',
    PULocationID: 'pu_location_id',
    DOLocationID: 'do_location_id',
    tpep_pickup_datetime: 'tpep_pickup_datetime',
    store_and_fwd_flag: 'store_and_fwd_flag',
    'Trip Distance': 'trip_distance',
    lpepPickupDate: 'lpep_pickup_date',
  };
  for (const [from, to] of Object.entries(cases)) assert.equal(toSnakeCase(from), to, from);
});
