import { Panel } from '@xyflow/react';

interface Props {
  canUndo: boolean;
  canRedo: boolean;
  onUndo(): void;
  onRedo(): void;
  onLayout(): void;
  onFit(): void;
  isMinimapShown: boolean;
  onToggleMinimap(): void;
  onHelp(): void;
}

/** Undo, redo, auto-layout, zoom to fit, the minimap switch and the shortcut help, over the canvas's top-right corner. */
export function CanvasToolbar({ canUndo, canRedo, onUndo, onRedo, onLayout, onFit, isMinimapShown, onToggleMinimap, onHelp }: Props) {
  return (
    <Panel position="top-right">
      <div className="canvas-toolbar" role="toolbar" aria-label="Canvas tools">
        <button type="button" onClick={onUndo} disabled={!canUndo} title="Undo (Ctrl+Z)">
          Undo
        </button>
        <button type="button" onClick={onRedo} disabled={!canRedo} title="Redo (Ctrl+Shift+Z)">
          Redo
        </button>
        <button type="button" onClick={onLayout} title="Auto-layout (L)">
          Auto-layout
        </button>
        <button type="button" onClick={onFit} title="Zoom to fit (F)">
          Zoom to fit
        </button>
        <button type="button" onClick={onToggleMinimap} aria-pressed={isMinimapShown} title="Show or hide the minimap (M)">
          Minimap
        </button>
        <button type="button" onClick={onHelp} aria-label="Keyboard shortcuts" title="Keyboard shortcuts (?)">
          ?
        </button>
      </div>
    </Panel>
  );
}
