import type { Rect, Viewport } from '@xyflow/react';

/** The smallest text on a node, in CSS pixels at zoom 1 (canvas.css: `.block-node` and its parts). */
export const NODE_MIN_FONT_PX = 12;
/** Node text is never drawn under 11 px: the canvas never zooms out further than this. */
export const READABLE_ZOOM = 11 / NODE_MIN_FONT_PX;
/** Zoom to fit never enlarges past 100 %: a small pipeline stays at its natural size. */
const MAX_FIT_ZOOM = 1;

/** Room kept clear around the graph: the canvas tools (top), the minimap (right), the zoom controls (left). */
export interface FitPadding {
  top: number;
  right: number;
  bottom: number;
  left: number;
}

export const FIT_PADDING: FitPadding = { top: 60, right: 176, bottom: 24, left: 64 };
/** In a narrow canvas (moved beside the editor) the minimap's strip would leave no room: nodes may pass under it. */
export const NARROW_FIT_PADDING: FitPadding = { top: 60, right: 16, bottom: 24, left: 48 };
/** Canvases narrower than this use the narrow padding. */
export const NARROW_CANVAS_PX = 640;

/**
 * The viewport that shows `bounds` in a `width`×`height` canvas: the whole graph, centred, when it fits at a readable
 * zoom; otherwise the readable zoom, panned so `focus` (the selected block) or else the graph's start (its top-left,
 * where the sources are) is in view. The minimap shows the rest.
 */
export function readableViewport(bounds: Rect, width: number, height: number, focus: Rect | null, pad: FitPadding = FIT_PADDING): Viewport {
  const roomX = Math.max(1, width - pad.left - pad.right);
  const roomY = Math.max(1, height - pad.top - pad.bottom);
  const fitZoom = Math.min(roomX / Math.max(1, bounds.width), roomY / Math.max(1, bounds.height), MAX_FIT_ZOOM);
  const zoom = Math.max(fitZoom, READABLE_ZOOM);
  return {
    zoom,
    x: axisOffset(bounds.x, bounds.width, focus?.x, focus?.width, zoom, pad.left, roomX),
    y: axisOffset(bounds.y, bounds.height, focus?.y, focus?.height, zoom, pad.top, roomY),
  };
}

/** Where the viewport starts on one axis: centred when the graph fits, else on the focus (centred) or the graph's start. */
function axisOffset(
  start: number,
  size: number,
  focusStart: number | undefined,
  focusSize: number | undefined,
  zoom: number,
  padStart: number,
  room: number,
): number {
  if (size * zoom <= room) return padStart + (room - size * zoom) / 2 - start * zoom;
  if (focusStart !== undefined && focusSize !== undefined) return padStart + (room - focusSize * zoom) / 2 - focusStart * zoom;
  return padStart - start * zoom;
}
