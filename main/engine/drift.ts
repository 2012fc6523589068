import type { DriftSpec, Severity } from '../model/check-schema.ts';
import type { BlockTestResult, OutputStats } from '../model/run-events.ts';

/** The previous successful run's stats of a block, with the run they come from. */
export interface DriftBaseline {
  runId: string;
  stats: OutputStats;
}

/**
 * Compares a block's output with its previous successful run, one result per kind the spec names (rows, schema,
 * null_rate). Without a baseline it returns one passing result that says so: drift compares like with like.
 */
export function compareWithBaseline(spec: DriftSpec, current: OutputStats, baseline: DriftBaseline | undefined): BlockTestResult[] {
  if (!baseline) {
    return [
      {
        name: 'baseline',
        source: 'drift',
        passed: true,
        message: 'no baseline: this is the first successful run of the block to compare with',
      },
    ];
  }
  const results: BlockTestResult[] = [];
  const from = baseline.stats;
  if (spec.rows !== undefined) {
    const { tolerance, severity } = typeof spec.rows === 'string' ? { tolerance: spec.rows, severity: undefined } : spec.rows;
    results.push(rowDrift(current.rows, from.rows, tolerance, severity ?? spec.severity ?? 'warn'));
  }
  if (spec.schema !== undefined) results.push(schemaDrift(current, from, spec.schema));
  if (spec.null_rate !== undefined) {
    const rule = typeof spec.null_rate === 'string' ? { tolerance: spec.null_rate } : spec.null_rate;
    results.push(nullRateDrift(current, from, rule.tolerance, rule.severity ?? spec.severity ?? 'warn', rule.columns));
  }
  return results;
}

function rowDrift(now: number, before: number, tolerance: string, severity: Severity): BlockTestResult {
  const limit = fraction(tolerance);
  const change = before === 0 ? (now === 0 ? 0 : Infinity) : (now - before) / before;
  const shown = Number.isFinite(change) ? `${change >= 0 ? '+' : ''}${(change * 100).toFixed(1)}%` : 'from none';
  const message = `${count(before)} → ${count(now)} rows (${shown}, tolerance ${tolerance})`;
  return { name: 'rows', source: 'drift', severity, passed: Math.abs(change) <= limit, message };
}

function schemaDrift(now: OutputStats, before: OutputStats, severity: Severity): BlockTestResult {
  const old = new Map(before.columns.map((c) => [c.name, c.type]));
  const cur = new Map(now.columns.map((c) => [c.name, c.type]));
  const changes = [
    ...now.columns.filter((c) => !old.has(c.name)).map((c) => `added ${c.name} ${c.type}`),
    ...before.columns.filter((c) => !cur.has(c.name)).map((c) => `removed ${c.name}`),
    ...now.columns.filter((c) => old.has(c.name) && old.get(c.name) !== c.type).map((c) => `${c.name} ${old.get(c.name)} → ${c.type}`),
  ];
  const message = changes.length ? changes.join('; ') : `${now.columns.length} columns, unchanged`;
  return { name: 'schema', source: 'drift', severity, passed: changes.length === 0, message };
}

function nullRateDrift(now: OutputStats, before: OutputStats, tolerance: string, severity: Severity, only?: string[]): BlockTestResult {
  const base = { name: 'null_rate', source: 'drift' as const, severity };
  if (!before.nullRates || !now.nullRates) {
    return { ...base, passed: true, message: 'no null-rate baseline: the previous run measured none (it had no drift: settings)' };
  }
  const limit = fraction(tolerance);
  const names = only ?? now.columns.map((c) => c.name);
  const drifted: string[] = [];
  for (const name of names) {
    const a = before.nullRates[name];
    const b = now.nullRates[name];
    if (a === undefined || b === undefined) continue;
    // A hair of float error must not turn an exact tolerance into drift.
    if (Math.abs(b - a) > limit + 1e-9) drifted.push(`${name} ${percent(a)} → ${percent(b)}`);
  }
  const message = drifted.length ? `${drifted.join('; ')} (tolerance ${tolerance})` : `within ${tolerance} for ${names.length} columns`;
  return { ...base, passed: drifted.length === 0, message };
}

function fraction(text: string): number {
  return Number.parseFloat(text) / 100;
}

function percent(rate: number): string {
  return `${(rate * 100).toFixed(1)}%`;
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}
