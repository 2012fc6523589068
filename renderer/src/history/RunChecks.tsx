import type { BlockTestResult } from '../../../main/model/run-events.ts';
import { formatCount } from '../canvas/format.ts';
import type { RunDetail } from './use-runs.ts';

/** Tests, checks and drift of a run, block by block: ✓ / ⚠ / ✗, the failing count and up to 5 failing rows. */
export function RunChecks({ run }: { run: RunDetail }) {
  const rows = run.blocks.flatMap((b) => (b.tests ?? []).map((result) => ({ blockId: b.blockId, result })));
  if (rows.length === 0) return null;
  return (
    <table className="history-table run-checks" aria-label="Checks of this run">
      <thead>
        <tr>
          <th scope="col">Block</th>
          <th scope="col">Result</th>
          <th scope="col">Check</th>
          <th scope="col">Failing</th>
          <th scope="col">Details</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(({ blockId, result }, index) => (
          <tr key={`${blockId}-${index}`} aria-label={`${blockId} ${result.source ?? 'test'} ${result.name}`}>
            <td>{blockId}</td>
            <td aria-label={outcomeOf(result)} title={outcomeOf(result)}>
              {markOf(result)}
            </td>
            <td>
              {result.source ?? 'test'} {result.name}
            </td>
            <td>{result.failing === undefined ? '' : formatCount(result.failing)}</td>
            <td className="block-error">
              {result.message ?? ''}
              {result.sample && result.sample.length > 0 && <SampleRows rows={result.sample} />}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function SampleRows({ rows }: { rows: Record<string, unknown>[] }) {
  const columns = Object.keys(rows[0] ?? {});
  return (
    <details>
      <summary>
        {rows.length} failing row{rows.length === 1 ? '' : 's'}
      </summary>
      <table className="sample-rows">
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, i) => (
            <tr key={i}>
              {columns.map((c) => (
                <td key={c}>{row[c] === null ? 'NULL' : String(row[c])}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}

const markOf = (r: BlockTestResult) => (r.passed ? '✓' : r.severity === 'warn' ? '⚠' : '✗');
const outcomeOf = (r: BlockTestResult) => (r.passed ? 'passed' : r.severity === 'warn' ? 'warned' : 'failed');
