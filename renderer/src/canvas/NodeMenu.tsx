import { useEffect, useRef } from 'react';
import type { BlockScopeKind } from '../editing/use-canvas-commands.ts';
import type { ExportTarget } from '../editing/export-blocks.ts';
import { keyOf, type BlockKeyAction } from './block-keys.ts';

interface Props {
  blockId: string;
  blockType: string;
  x: number;
  y: number;
  exportTargets: ExportTarget[];
  onRun(scope: BlockScopeKind): void;
  onExport(target: ExportTarget): void;
  /** "Bring local": offered for blocks whose data lives in a warehouse. */
  onBringLocal?: (() => void) | undefined;
  onEdit(): void;
  /** Export blocks: what the export would do, without writing. */
  onPreviewExport(): void;
  onCopy(): void;
  onDelete(): void;
  onClose(): void;
}

/** A block's context menu: runs, one-click exports, edit, copy, delete. Escape or a click elsewhere closes it. */
export function NodeMenu({
  blockId,
  blockType,
  x,
  y,
  exportTargets,
  onRun,
  onExport,
  onBringLocal,
  onEdit,
  onPreviewExport,
  onCopy,
  onDelete,
  onClose,
}: Props) {
  const menu = useRef<HTMLDivElement>(null);
  useEffect(() => {
    menu.current?.querySelector<HTMLButtonElement>('[role=menuitem]')?.focus();
    const close = (event: MouseEvent) => {
      if (!menu.current?.contains(event.target as Node)) onClose();
    };
    window.addEventListener('mousedown', close);
    return () => window.removeEventListener('mousedown', close);
  }, [onClose]);
  const item = (label: string, action: () => void, key?: BlockKeyAction | string) => {
    const hint = typeof key === 'string' ? key : key ? keyOf(key) : undefined;
    return (
      <button
        type="button"
        role="menuitem"
        className="menu-item"
        aria-keyshortcuts={hint}
        onClick={() => {
          onClose();
          action();
        }}
      >
        {label}
        {hint && (
          <kbd className="menu-key" aria-hidden="true">
            {hint}
          </kbd>
        )}
      </button>
    );
  };
  return (
    <div
      ref={menu}
      className="node-menu"
      role="menu"
      aria-label={`Actions for ${blockId}`}
      style={{ left: x, top: y }}
      onKeyDown={(e) => {
        if (e.key === 'Escape') onClose();
        if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
          e.preventDefault();
          const items = [...(menu.current?.querySelectorAll<HTMLButtonElement>('[role=menuitem]') ?? [])];
          const at = items.indexOf(document.activeElement as HTMLButtonElement);
          items[(at + (e.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length]?.focus();
        }
      }}
    >
      {item('Run block', () => onRun('block'), { kind: 'run', scope: 'block' })}
      {item('Run with upstream', () => onRun('with-upstream'), { kind: 'run', scope: 'with-upstream' })}
      {item('Run from here', () => onRun('downstream'), { kind: 'run', scope: 'downstream' })}
      {((blockType !== 'export' && exportTargets.length > 0) || onBringLocal || blockType === 'export') && (
        <div className="menu-separator" role="separator" />
      )}
      {blockType === 'export' && item('Preview export…', onPreviewExport)}
      {blockType !== 'export' &&
        !onBringLocal &&
        exportTargets.map((target) => (
          <span key={target.kind}>
            {item(`Export to ${target.label}`, () => onExport(target), { kind: 'export', target: target.kind })}
          </span>
        ))}
      {onBringLocal && item('Bring local', onBringLocal)}
      <div className="menu-separator" role="separator" />
      {item('Edit config…', onEdit, { kind: 'edit' })}
      {item('Copy', onCopy, 'Ctrl+C')}
      {item('Delete', onDelete, 'Delete')}
    </div>
  );
}
