import { useRef, type KeyboardEvent, type PointerEvent } from 'react';
import './layout.css';

/** How far one arrow key press moves a handle. */
export const KEY_STEP = 16;

interface Props {
  /** The accessible name, e.g. "Resize the palette". */
  label: string;
  /** `vertical`: a vertical bar between side-by-side panels; `horizontal`: a bar between stacked panels. */
  orientation: 'vertical' | 'horizontal';
  size: number;
  min: number;
  max: number;
  /** True when the panel lies after the handle (below or to the right): moving the handle up or left grows it. */
  isPanelAfter?: boolean;
  onResize(size: number): void;
}

/** A drag handle between two panels: pointer drag, arrow keys (16 px), Home / End for the smallest / largest size. */
export function ResizeHandle({ label, orientation, size, min, max, isPanelAfter = false, onResize }: Props) {
  const drag = useRef<{ start: number; size: number } | null>(null);
  const sign = isPanelAfter ? -1 : 1;
  const positionOf = (e: PointerEvent) => (orientation === 'vertical' ? e.clientX : e.clientY);

  const onPointerDown = (e: PointerEvent<HTMLDivElement>) => {
    if (e.button !== 0) return;
    e.preventDefault();
    e.currentTarget.setPointerCapture(e.pointerId);
    e.currentTarget.focus();
    drag.current = { start: positionOf(e), size };
  };
  const onPointerMove = (e: PointerEvent<HTMLDivElement>) => {
    if (drag.current) onResize(drag.current.size + sign * (positionOf(e) - drag.current.start));
  };
  const endDrag = (e: PointerEvent<HTMLDivElement>) => {
    drag.current = null;
    if (e.currentTarget.hasPointerCapture(e.pointerId)) e.currentTarget.releasePointerCapture(e.pointerId);
  };
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const next = sizeAfterKey(e.key, orientation, size, min, max, sign);
    if (next === null) return;
    e.preventDefault();
    onResize(next);
  };

  return (
    <div
      className={`resize-handle is-${orientation}`}
      role="separator"
      tabIndex={0}
      aria-label={label}
      aria-orientation={orientation}
      aria-valuenow={size}
      aria-valuemin={min}
      aria-valuemax={max}
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={endDrag}
      onPointerCancel={endDrag}
      onKeyDown={onKeyDown}
    />
  );
}

/** The size a key press asks for, or null when the key does not resize along this handle's axis. */
function sizeAfterKey(key: string, orientation: Props['orientation'], size: number, min: number, max: number, sign: number): number | null {
  if (key === 'Home') return min;
  if (key === 'End') return max;
  const [back, forward] = orientation === 'vertical' ? ['ArrowLeft', 'ArrowRight'] : ['ArrowUp', 'ArrowDown'];
  if (key === forward) return size + sign * KEY_STEP;
  if (key === back) return size - sign * KEY_STEP;
  return null;
}
