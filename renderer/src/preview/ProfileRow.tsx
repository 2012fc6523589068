import type { ColumnInfo, ColumnProfile } from '../../../main/model/workspace-types.ts';
import { formatCount } from '../canvas/format.ts';

/** A row under the column headers: nulls, distinct, min/max and a small histogram for each visible column. */
export function ProfileRow({ profile, columns, spacer }: { profile: ColumnProfile[]; columns: ColumnInfo[]; spacer: number }) {
  const byName = new Map(profile.map((p) => [p.name, p]));
  return (
    <div className="grid-profile" role="row" aria-label="Column profiles">
      <span className="grid-rownum" role="rowheader">
        profile
      </span>
      <span className="grid-spacer" style={{ flexBasis: spacer }} />
      {columns.map((c) => {
        const p = byName.get(c.name);
        return (
          <span key={c.name} className="grid-cell profile-cell" role="gridcell">
            {/* Named by its content, which the column header already places: screen readers hear which column first. */}
            <span className="sr-only">Profile of {c.name}: </span>
            {p ? <ColumnSummary profile={p} /> : <span className="muted">—</span>}
          </span>
        );
      })}
    </div>
  );
}

function ColumnSummary({ profile }: { profile: ColumnProfile }) {
  const range =
    profile.min === null
      ? 'all NULL'
      : profile.min === profile.max
        ? clip(profile.min)
        : `${clip(profile.min)} … ${clip(profile.max ?? '')}`;
  return (
    <>
      <span className="profile-line">
        {formatCount(profile.nulls)} nulls · ≈{formatCount(profile.distinct)} distinct
      </span>
      <span className="profile-line muted" title={`min ${profile.min ?? 'NULL'}, max ${profile.max ?? 'NULL'}`}>
        {range}
      </span>
      <Histogram bins={profile.histogram} />
    </>
  );
}

/** Bars scaled to the largest bin; each bar's tooltip says its label and count. */
export function Histogram({ bins }: { bins: { label: string; count: number }[] }) {
  const top = Math.max(1, ...bins.map((b) => b.count));
  if (bins.length === 0) return null;
  const width = 140;
  const height = 22;
  const barWidth = width / bins.length;
  return (
    <svg className="histogram" width={width} height={height} role="img" aria-label={`Histogram, ${bins.length} bins`}>
      {bins.map((b, i) => {
        const h = Math.max(b.count > 0 ? 1 : 0, (b.count / top) * height);
        return (
          <rect key={i} x={i * barWidth + 0.5} y={height - h} width={Math.max(1, barWidth - 1)} height={h}>
            <title>{`${b.label}: ${b.count.toLocaleString('en-US')}`}</title>
          </rect>
        );
      })}
    </svg>
  );
}

function clip(text: string): string {
  return text.length > 24 ? `${text.slice(0, 24)}…` : text;
}
