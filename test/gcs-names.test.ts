import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bucketNameProblem, objectNameProblem } from '../main/cloud/gcs-names.ts';
import { encodePartitionValue, partitionSegment } from '../main/data/partition-names.ts';

describe('GCS bucket and object names', () => {
  test('accepts bucket names Google accepts', () => {
    for (const name of ['exports', 'my-bucket_1', 'a.b.c', 'x'.repeat(63), `${'a'.repeat(63)}.${'b'.repeat(63)}`]) {
      assert.equal(bucketNameProblem(name), undefined, name);
    }
  });

  test('names the rule a rejected bucket name breaks', () => {
    const cases: [string, RegExp][] = [
      ['My_Exports', /lowercase letters/],
      ['-dash', /start and end with a letter or a digit/],
      ['ab', /at least 3/],
      ['x'.repeat(64), /at most 63/],
      ['a..b', /dot-separated part/],
      ['192.168.1.10', /IP addresses/],
      ['goog-data', /start with "goog"/],
      ['my-g00gle-bucket', /google/],
    ];
    for (const [name, rule] of cases) assert.match(bucketNameProblem(name) ?? 'accepted', rule, name);
  });

  test('refuses object names with path steps, line breaks or too many bytes', () => {
    assert.equal(objectNameProblem('nyc_taxi_data/pickup_date=2021-01-01/part-00000.parquet'), undefined);
    assert.match(objectNameProblem('a/../b') ?? '', /path steps/);
    assert.match(objectNameProblem('a\nb') ?? '', /line breaks/);
    assert.match(objectNameProblem('é'.repeat(513)) ?? '', /1024 bytes/);
    assert.match(objectNameProblem('/abs') ?? '', /do not start with "\/"/);
  });
});

describe('partition folder names', () => {
  test('keeps plain values and percent-encodes the rest byte by byte', () => {
    assert.equal(partitionSegment('pickup_date', '2021-01-01'), 'pickup_date=2021-01-01');
    assert.equal(partitionSegment('k', 'a/b=c d'), 'k=a%2Fb%3Dc%20d');
    assert.equal(partitionSegment('k', 'Zürich'), 'k=Z%C3%BCrich');
    assert.equal(partitionSegment('odd/col', 'v'), 'odd%2Fcol=v');
  });

  test('spells NULL, empty, dot-only and the NULL marker itself distinctly', () => {
    const spelled = [null, '', '.', '..', '__HIVE_DEFAULT_PARTITION__'].map(encodePartitionValue);
    assert.deepEqual(spelled, ['__HIVE_DEFAULT_PARTITION__', '', '%2E', '%2E%2E', '%5F_HIVE_DEFAULT_PARTITION__']);
    assert.equal(new Set(spelled).size, spelled.length);
  });

  test('caps long values with a hash, never cutting an escape in half, keeping distinct values apart', () => {
    const long = 'é'.repeat(300);
    const a = encodePartitionValue(long);
    const b = encodePartitionValue(`${long}x`);
    assert.ok(a.length <= 200, String(a.length));
    assert.match(a, /^(%C3%A9)+~[0-9a-f]{16}$/);
    assert.doesNotMatch(a.replace(/~[0-9a-f]{16}$/, ''), /%[0-9A-F]?$/);
    assert.notEqual(a, b);
    assert.ok(!a.includes('/'));
  });
});
