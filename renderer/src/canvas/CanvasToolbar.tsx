import { Panel } from '@xyflow/react';
import type { EditNotice } from '../editing/use-pipeline-editor.ts';

interface Props {
  canUndo: boolean;
  canRedo: boolean;
  onUndo(): void;
  onRedo(): void;
  onLayout(): void;
  onFit(): void;
  onHelp(): void;
}

/** Undo, redo, auto-layout, zoom to fit and the shortcut help, over the canvas's top-right corner. */
export function CanvasToolbar({ canUndo, canRedo, onUndo, onRedo, onLayout, onFit, onHelp }: Props) {
  return (
    <Panel position="top-right">
      <div className="canvas-toolbar" role="toolbar" aria-label="Canvas tools">
        <button type="button" onClick={onUndo} disabled={!canUndo} title="Undo (Ctrl+Z)">Undo</button>
        <button type="button" onClick={onRedo} disabled={!canRedo} title="Redo (Ctrl+Shift+Z)">Redo</button>
        <button type="button" onClick={onLayout} title="Auto-layout (L)">Auto-layout</button>
        <button type="button" onClick={onFit} title="Zoom to fit (F)">Zoom to fit</button>
        <button type="button" onClick={onHelp} aria-label="Keyboard shortcuts" title="Keyboard shortcuts (?)">?</button>
      </div>
    </Panel>
  );
}

/** The last edit's outcome: saved, or refused with the engine's reason; a conflict offers a reload. */
export function EditStatus({ notice, onReload, onDismiss }: { notice: EditNotice | null; onReload(): void; onDismiss(): void }) {
  if (!notice) return null;
  const isProblem = notice.kind !== 'info';
  return (
    <Panel position="bottom-center">
      <div className={`edit-status kind-${notice.kind}`} role={isProblem ? 'alert' : 'status'} aria-label="Edit status">
        <span>{notice.text}</span>
        {notice.kind === 'conflict' && (
          <button type="button" onClick={onReload}>Reload</button>
        )}
        <button type="button" className="edit-status-close" aria-label="Dismiss" onClick={onDismiss}>×</button>
      </div>
    </Panel>
  );
}
