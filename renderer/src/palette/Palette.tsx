import { useMemo, useState } from 'react';
import type { KindInfo } from '../editing/block-factory.ts';
import { LinesSkeleton } from '../layout/Skeleton.tsx';
import './palette.css';

/** The drag payload type: a `type/kind` the canvas adds where it is dropped. */
export const KIND_MIME = 'application/x-pipewright-kind';

const TYPE_ORDER: KindInfo['type'][] = ['source', 'transform', 'export', 'sensor'];
const TYPE_TITLES: Record<string, string> = { source: 'Sources', transform: 'Transforms', export: 'Exports', sensor: 'Sensors' };

interface Props {
  kinds: KindInfo[];
  /** Adds a block of this kind (double-click or Enter): connected to the selected block when it needs an upstream. */
  onAdd(kind: KindInfo): void;
}

/** Block kinds by type, searchable by name; drag one onto the canvas, or double-click / Enter to add it. */
export function Palette({ kinds, onAdd }: Props) {
  const [query, setQuery] = useState('');
  const shown = useMemo(() => {
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    return kinds.filter((k) => words.every((w) => `${k.type} ${k.kind} ${k.title}`.toLowerCase().includes(w)));
  }, [kinds, query]);
  return (
    <aside className="palette" aria-label="Block palette">
      <input
        className="palette-search"
        type="search"
        placeholder="Search blocks…"
        aria-label="Search blocks"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
      />
      {kinds.length === 0 && <LinesSkeleton label="Loading block kinds" lines={8} />}
      {kinds.length > 0 && shown.length === 0 && <p className="muted palette-empty">No block kind matches “{query}”.</p>}
      {TYPE_ORDER.map((type) => {
        const ofType = shown.filter((k) => k.type === type);
        if (ofType.length === 0) return null;
        return (
          <section key={type} aria-label={TYPE_TITLES[type]}>
            <h2 className="palette-title">{TYPE_TITLES[type]}</h2>
            <ul className="palette-list">
              {ofType.map((kind) => (
                <li key={`${kind.type}/${kind.kind}`}>
                  <button
                    type="button"
                    className={`palette-item type-${kind.type}`}
                    draggable
                    title={`${kind.type}/${kind.kind} — drag onto the canvas, or double-click / Enter to add`}
                    onDragStart={(e) => {
                      e.dataTransfer.setData(KIND_MIME, `${kind.type}/${kind.kind}`);
                      e.dataTransfer.effectAllowed = 'copy';
                    }}
                    onDoubleClick={() => onAdd(kind)}
                    onKeyDown={(e) => {
                      if (e.key === 'Enter') {
                        e.preventDefault();
                        onAdd(kind);
                      }
                    }}
                  >
                    {/* The name is the visible text, after a verb only screen readers hear. */}
                    <span className="sr-only">Add </span>
                    <span className="palette-item-title">{kind.title}</span> <span className="palette-item-kind">{kind.kind}</span>
                  </button>
                </li>
              ))}
            </ul>
          </section>
        );
      })}
    </aside>
  );
}
