import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultBucketName } from '../renderer/src/editing/bucket-name.ts';

/** GCS's rules for a bucket name without dots. */
const VALID = /^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$/;

test('the default export bucket is derived from the project name and follows GCS naming rules', () => {
  assert.equal(defaultBucketName('shop'), 'shop-exports');
  assert.equal(defaultBucketName('NYC Taxi'), 'nyc-taxi-exports');
  assert.equal(defaultBucketName('  Café_Sales.2024 '), 'cafe-sales-2024-exports');
  assert.equal(defaultBucketName('Google Analytics'), 'analytics-exports', 'no "google" in a bucket name');
  assert.equal(defaultBucketName('Googol Labs'), 'pw-googol-labs-exports', 'no "goog" prefix');
  assert.equal(defaultBucketName('???'), 'pipewright-exports');
  const long = defaultBucketName(`${'a'.repeat(54)}-${'b'.repeat(20)}`);
  assert.equal(long, `${'a'.repeat(54)}-exports`, 'cut to 63 characters without a dangling dash');
  for (const name of ['shop', 'NYC Taxi', 'Google', 'x', 'goog', '—', 'a'.repeat(200)]) assert.match(defaultBucketName(name), VALID, name);
});
