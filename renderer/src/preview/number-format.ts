/** How a column's numbers are shown: whole numbers, floats (rounded for display) or fixed-scale decimals. */
export type NumberKind = { kind: 'integer' } | { kind: 'float' } | { kind: 'decimal'; scale: number };

const INTEGER_TYPE = /^U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|INT\d*)$/;
const FLOAT_TYPE = /^(FLOAT|DOUBLE|REAL|FLOAT4|FLOAT8)$/;
const DECIMAL_TYPE = /^(?:DECIMAL|NUMERIC)\(\d+,\s*(\d+)\)$/;

/** The number kind of a DuckDB column type, or null when its values are not numbers. */
export function numberKind(type: string): NumberKind | null {
  const upper = type.trim().toUpperCase();
  if (INTEGER_TYPE.test(upper)) return { kind: 'integer' };
  if (FLOAT_TYPE.test(upper)) return { kind: 'float' };
  const decimal = DECIMAL_TYPE.exec(upper);
  return decimal ? { kind: 'decimal', scale: Number(decimal[1]) } : null;
}

/** Fraction digits kept for floats of at least 1; smaller ones keep this many significant digits. */
const FLOAT_FRACTION_DIGITS = 4;
/** Beyond these magnitudes grouped digits stop helping, so they read as exponents. */
const LARGEST_PLAIN = 1e15;
const SMALLEST_PLAIN = 1e-6;

/**
 * A cell's exact text (as decoded: `1234567`, `0.1234567891`) as shown in the grid: thousands separators, floats
 * rounded to a readable precision, decimals at their scale. Text that is not a plain number (NULL, NaN, Infinity)
 * is returned as is. Integers are grouped on their digits, so 64-bit values keep every digit.
 */
export function formatNumberText(text: string, kind: NumberKind): string {
  if (kind.kind === 'integer') return /^-?\d+$/.test(text) ? groupDigits(text) : text;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) return text;
  if (kind.kind === 'decimal')
    return value.toLocaleString('en-US', { minimumFractionDigits: kind.scale, maximumFractionDigits: kind.scale });
  const magnitude = Math.abs(value);
  if (magnitude >= LARGEST_PLAIN || (magnitude > 0 && magnitude < SMALLEST_PLAIN)) return value.toExponential(3);
  if (magnitude >= 1 || magnitude === 0) return value.toLocaleString('en-US', { maximumFractionDigits: FLOAT_FRACTION_DIGITS });
  return value.toLocaleString('en-US', { maximumSignificantDigits: FLOAT_FRACTION_DIGITS });
}

/** `-1234567` → `-1,234,567`. */
function groupDigits(digits: string): string {
  const sign = digits.startsWith('-') ? '-' : '';
  return sign + digits.slice(sign.length).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
