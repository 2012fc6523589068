import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatNumberText, numberKind } from '../renderer/src/preview/number-format.ts';

test('column types map to how their numbers show; text, dates and booleans are not numbers', () => {
  for (const type of ['BIGINT', 'INTEGER', 'UTINYINT', 'HUGEINT', 'smallint'])
    assert.deepEqual(numberKind(type), { kind: 'integer' }, type);
  for (const type of ['DOUBLE', 'FLOAT', 'REAL']) assert.deepEqual(numberKind(type), { kind: 'float' }, type);
  assert.deepEqual(numberKind('DECIMAL(18,3)'), { kind: 'decimal', scale: 3 });
  for (const type of ['VARCHAR', 'DATE', 'TIMESTAMP', 'BOOLEAN', 'INTEGER[]', 'INTERVAL']) assert.equal(numberKind(type), null, type);
});

test('integers get thousands separators and keep every digit of 64-bit values', () => {
  const integer = numberKind('BIGINT')!;
  assert.equal(formatNumberText('199874', integer), '199,874');
  assert.equal(formatNumberText('-1234567', integer), '-1,234,567');
  assert.equal(formatNumberText('999', integer), '999');
  assert.equal(formatNumberText('9223372036854775807', integer), '9,223,372,036,854,775,807');
  assert.equal(formatNumberText('NULL', integer), 'NULL');
});

test('floats round to a readable precision; tiny and huge ones read as exponents; NaN stays as it is', () => {
  const float = numberKind('DOUBLE')!;
  assert.equal(formatNumberText('1234567.891234', float), '1,234,567.8912');
  assert.equal(formatNumberText('3085', float), '3,085');
  assert.equal(formatNumberText('0.123456789', float), '0.1235');
  assert.equal(formatNumberText('-0.000123456', float), '-0.0001235');
  assert.equal(formatNumberText('1.5e-9', float), '1.500e-9');
  assert.equal(formatNumberText('1e+21', float), '1.000e+21');
  assert.equal(formatNumberText('0', float), '0');
  assert.equal(formatNumberText('NaN', float), 'NaN');
  assert.equal(formatNumberText('Infinity', float), 'Infinity');
});

test('decimals show exactly their scale, grouped', () => {
  assert.equal(formatNumberText('3000', numberKind('DECIMAL(20,1)')!), '3,000.0');
  assert.equal(formatNumberText('12.5', numberKind('DECIMAL(10,2)')!), '12.50');
  assert.equal(formatNumberText('1234567', numberKind('DECIMAL(10,0)')!), '1,234,567');
});
