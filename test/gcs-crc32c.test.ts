import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CRC32C } from '@google-cloud/storage';
import { FastCrc32c } from '../main/cloud/gcs-export/crc32c.ts';

test("the fast CRC32C gives the Storage client's sums for any length and any split of the bytes", () => {
  for (const length of [0, 1, 7, 8, 9, 63, 1000, 65_537, 1_000_003]) {
    const bytes = randomBytes(length);
    const reference = new CRC32C();
    reference.update(bytes);
    const fast = new FastCrc32c();
    for (let at = 0; at < length || at === 0; at += 4099) {
      fast.update(bytes.subarray(at, at + 4099));
      if (length === 0) break;
    }
    assert.equal(fast.toString(), reference.toString(), `length ${length}`);
    assert.ok(fast.validate(reference.toString()));
  }
  const known = new FastCrc32c();
  known.update(Buffer.from('data'));
  assert.equal(known.toString(), 'rth90Q==', 'the example from the client documentation');
  assert.equal(known.validate('DkjKuA=='), false);
});
