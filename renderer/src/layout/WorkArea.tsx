import type { CSSProperties, ReactNode } from 'react';
import { CANVAS_BESIDE_PANEL, DETAILS_PANEL } from './panels.ts';
import { ResizeHandle } from './ResizeHandle.tsx';
import type { CanvasPlace } from './use-canvas-place.ts';
import { usePanelSize } from './use-panel-size.ts';
import './work-area.css';

/** work-area.css: `.work-canvas`'s min-height and the handle's thickness. */
const CANVAS_MIN_HEIGHT = 180;
const HANDLE_PX = 5;
/** The open block alone (canvas beside or hidden): its bars and a few rows. */
const PANE_MIN_HEIGHT = 220;

/**
 * The canvas and the open block's pane: stacked (canvas above), side by side (canvas on the left) or the pane alone.
 * Every child keeps its place in the tree whatever the layout, so switching never remounts the editor (unsaved text
 * stays) nor the canvas.
 */
export function WorkArea({ place, canvas, pane }: { place: CanvasPlace; canvas: ReactNode; pane: ReactNode | null }) {
  const [height, setHeight] = usePanelSize('details', DETAILS_PANEL);
  const [canvasWidth, setCanvasWidth] = usePanelSize('canvas-beside', CANVAS_BESIDE_PANEL);
  const shown: CanvasPlace = pane ? place : 'above';
  const canvasStyle: CSSProperties | undefined = shown === 'beside' ? { flex: `0 0 ${canvasWidth}px` } : undefined;
  const paneStyle: CSSProperties | undefined = shown === 'above' ? { flex: `0 1 ${height}px`, minHeight: DETAILS_PANEL.min } : undefined;
  // The least height its panels need: a tall bottom panel (the SQL console) gives way rather than covering them.
  const minHeight =
    pane && shown === 'above' ? CANVAS_MIN_HEIGHT + HANDLE_PX + DETAILS_PANEL.min : pane ? PANE_MIN_HEIGHT : CANVAS_MIN_HEIGHT;
  return (
    <div className={`work-area is-canvas-${shown}`} style={{ minHeight }}>
      <div className="work-canvas" style={canvasStyle} hidden={shown === 'hidden'}>
        {canvas}
      </div>
      {pane && shown === 'above' && (
        <ResizeHandle
          label="Resize the block details"
          orientation="horizontal"
          size={height}
          {...DETAILS_PANEL}
          isPanelAfter
          onResize={setHeight}
        />
      )}
      {pane && shown === 'beside' && (
        <ResizeHandle
          label="Resize the canvas"
          orientation="vertical"
          size={canvasWidth}
          {...CANVAS_BESIDE_PANEL}
          onResize={setCanvasWidth}
        />
      )}
      {pane && (
        <div className="work-pane" style={paneStyle}>
          {pane}
        </div>
      )}
    </div>
  );
}
