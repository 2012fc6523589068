import { useEffect, useState } from 'react';
import type { ColumnInfo } from '../../../main/model/workspace-types.ts';
import { useApi } from '../api/ApiContext.tsx';
import { queryRows } from '../preview/query-rows.ts';
import { ChartSvg } from './ChartSvg.tsx';
import { chartSql, isOrdinal, toChartPoints, type ChartKind, type ChartPoint } from './chart-query.ts';
import './chart.css';

interface Props {
  /** SQL relation to chart, e.g. `"pipeline"."block"`. */
  relation: string;
  columns: ColumnInfo[];
  /** The grid's filter (SQL WHERE), applied to the chart too. */
  filter?: string;
  /** Changes after a run: the chart reloads. */
  version: string | null;
}

/** A quick bar / line / histogram of one column, aggregated in DuckDB. */
export function QuickChart({ relation, columns, filter, version }: Props) {
  const api = useApi();
  const [kind, setKind] = useState<ChartKind>('bar');
  const [columnName, setColumnName] = useState(columns[0]?.name ?? '');
  const column = columns.find((c) => c.name === columnName) ?? columns[0];
  const [points, setPoints] = useState<
    { status: 'loading' } | { status: 'error'; message: string } | { status: 'ready'; points: ChartPoint[] }
  >({ status: 'loading' });

  // The grid hands over a new columns array with every page: the chart depends on the column's name and type only.
  const shownName = column?.name;
  const shownType = column?.type;
  useEffect(() => {
    if (shownName === undefined || shownType === undefined) return;
    const shown = { name: shownName, type: shownType };
    let isCurrent = true;
    setPoints({ status: 'loading' });
    queryRows(api, chartSql(kind, relation, shown, filter), 1000)
      .then((rows) => isCurrent && setPoints({ status: 'ready', points: toChartPoints(kind, shown, rows) }))
      .catch(
        (error: unknown) => isCurrent && setPoints({ status: 'error', message: error instanceof Error ? error.message : String(error) }),
      );
    return () => {
      isCurrent = false;
    };
  }, [api, kind, relation, shownName, shownType, filter, version]);

  if (!column) return null;
  return (
    <section className="quick-chart" aria-label="Quick chart">
      <div className="chart-bar">
        <select aria-label="Chart type" value={kind} onChange={(e) => setKind(e.target.value as ChartKind)}>
          <option value="bar">Bar (top values)</option>
          <option value="line">Line</option>
          <option value="histogram" disabled={!isOrdinal(column.type)}>
            Histogram
          </option>
        </select>
        <select aria-label="Chart column" value={column.name} onChange={(e) => setColumnName(e.target.value)}>
          {columns.map((c) => (
            <option key={c.name} value={c.name}>
              {c.name}
            </option>
          ))}
        </select>
      </div>
      {points.status === 'loading' && (
        <p className="muted" role="status">
          Aggregating…
        </p>
      )}
      {points.status === 'error' && (
        <p className="error-text" role="alert">
          {points.message}
        </p>
      )}
      {points.status === 'ready' && (
        <ChartSvg
          kind={kind === 'histogram' && !isOrdinal(column.type) ? 'bar' : kind}
          points={points.points}
          title={`${kind} of ${column.name}`}
        />
      )}
    </section>
  );
}
