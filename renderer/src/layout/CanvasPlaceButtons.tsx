import type { CanvasPlace } from './use-canvas-place.ts';

const CHOICES: { place: CanvasPlace; label: string; icon: string }[] = [
  { place: 'above', label: 'Canvas above', icon: '⬒' },
  { place: 'beside', label: 'Canvas beside', icon: '◧' },
  { place: 'hidden', label: 'Hide canvas', icon: '▭' },
];

/** Where the canvas goes while a block is open: above it, beside it, or out of the way (the block gets the room). */
export function CanvasPlaceButtons({ place, onChange }: { place: CanvasPlace; onChange(place: CanvasPlace): void }) {
  return (
    <div className="canvas-place" role="group" aria-label="Canvas placement">
      {CHOICES.map((choice) => (
        <button
          key={choice.place}
          type="button"
          aria-pressed={place === choice.place}
          title={choice.label}
          onClick={() => onChange(choice.place)}
        >
          <span aria-hidden="true">{choice.icon}</span> {choice.label}
        </button>
      ))}
    </div>
  );
}
