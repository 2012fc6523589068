import type { ChartKind, ChartPoint } from './chart-query.ts';

const WIDTH = 560;
const BAR_ROW = 16;
const PLOT_HEIGHT = 160;
const LABEL_WIDTH = 150;

/** A small SVG chart: horizontal bars for top values, columns for a histogram, a line over bins. */
export function ChartSvg({ kind, points, title }: { kind: ChartKind; points: ChartPoint[]; title: string }) {
  if (points.length === 0) return <p className="muted">No non-NULL values to chart.</p>;
  const top = Math.max(1, ...points.map((p) => p.value));
  if (kind === 'bar') return <Bars points={points} top={top} title={title} />;
  const step = WIDTH / points.length;
  const y = (value: number) => PLOT_HEIGHT - (value / top) * PLOT_HEIGHT;
  return (
    <svg className="chart" width={WIDTH} height={PLOT_HEIGHT + 18} role="img" aria-label={title}>
      <title>{title}</title>
      {kind === 'histogram' ? (
        points.map((p, i) => (
          <rect
            key={i}
            className="chart-mark"
            x={i * step + 0.5}
            y={y(p.value)}
            width={Math.max(1, step - 1)}
            height={PLOT_HEIGHT - y(p.value)}
          >
            <title>{`${p.label}: ${p.value.toLocaleString('en-US')}`}</title>
          </rect>
        ))
      ) : (
        <polyline className="chart-line" points={points.map((p, i) => `${i * step + step / 2},${y(p.value)}`).join(' ')} />
      )}
      <text className="chart-axis" x={0} y={PLOT_HEIGHT + 14}>
        {points[0]?.label}
      </text>
      <text className="chart-axis" x={WIDTH} y={PLOT_HEIGHT + 14} textAnchor="end">
        {points.at(-1)?.label}
      </text>
      <text className="chart-axis" x={WIDTH} y={10} textAnchor="end">
        max {top.toLocaleString('en-US')}
      </text>
    </svg>
  );
}

function Bars({ points, top, title }: { points: ChartPoint[]; top: number; title: string }) {
  const plot = WIDTH - LABEL_WIDTH - 60;
  return (
    <svg className="chart" width={WIDTH} height={points.length * BAR_ROW + 4} role="img" aria-label={title}>
      <title>{title}</title>
      {points.map((p, i) => (
        <g key={i} transform={`translate(0 ${i * BAR_ROW})`}>
          <text className="chart-axis" x={LABEL_WIDTH - 6} y={12} textAnchor="end">
            {p.label.length > 22 ? `${p.label.slice(0, 22)}…` : p.label}
          </text>
          <rect className="chart-mark" x={LABEL_WIDTH} y={2} width={Math.max(1, (p.value / top) * plot)} height={BAR_ROW - 4}>
            <title>{`${p.label}: ${p.value.toLocaleString('en-US')}`}</title>
          </rect>
          <text className="chart-axis" x={LABEL_WIDTH + (p.value / top) * plot + 4} y={12}>
            {p.value.toLocaleString('en-US')}
          </text>
        </g>
      ))}
    </svg>
  );
}
