import { useEffect, useRef } from 'react';
import { blockKeyAction, keyTarget, type BlockKeyAction } from './block-keys.ts';

/** What the canvas does for each shortcut (listed for users in ShortcutHelp.tsx). */
export interface ShortcutActions {
  deleteSelection(): void;
  copy(): void;
  paste(): void;
  undo(): void;
  redo(): void;
  selectAll(): void;
  fit(): void;
  layout(): void;
  help(): void;
  /** Shows or hides the minimap. */
  minimap(): void;
  escape(): void;
  /** The blocks selected now (a block key acts on the focused node, else the only selected one). */
  selectedIds(): string[];
  block(action: BlockKeyAction, blockId: string): void;
}

/**
 * Canvas shortcuts on the window, except while the user types (inputs, the code editor) or a dialog is open:
 * there the keys keep their text-editing meaning.
 */
export function useCanvasShortcuts(actions: ShortcutActions): void {
  const latest = useRef(actions);
  latest.current = actions;
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented || isTyping(event.target) || document.querySelector('[role=dialog]')) return;
      const blockAction = blockKeyAction(event);
      const blockId = blockAction ? keyTarget(event, latest.current.selectedIds()) : null;
      if (blockAction && blockId) {
        event.preventDefault();
        return latest.current.block(blockAction, blockId);
      }
      const action = actionFor(event);
      if (!action) return;
      event.preventDefault();
      latest.current[action]();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}

function actionFor(event: KeyboardEvent): Exclude<keyof ShortcutActions, 'block' | 'selectedIds'> | null {
  const mod = event.ctrlKey || event.metaKey;
  const key = event.key.toLowerCase();
  if (mod && key === 'z') return event.shiftKey ? 'redo' : 'undo';
  if (mod && key === 'y') return 'redo';
  if (mod && key === 'c') return 'copy';
  if (mod && key === 'v') return 'paste';
  if (mod && key === 'a') return 'selectAll';
  if (mod || event.altKey) return null;
  if (key === 'delete' || key === 'backspace') return 'deleteSelection';
  if (key === 'f') return 'fit';
  if (key === 'l') return 'layout';
  if (key === 'm') return 'minimap';
  if (event.key === '?') return 'help';
  if (key === 'escape') return 'escape';
  return null;
}

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target.closest('.cm-editor')) return true;
  return ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}
