import type { PipelineView } from '../api/views.ts';
import type { ExportTarget } from '../editing/export-blocks.ts';
import type { CanvasCommands } from '../editing/use-canvas-commands.ts';
import type { BlockKeyAction } from './block-keys.ts';

interface Handlers {
  pipeline: PipelineView;
  exportTargets: ExportTarget[];
  commands: CanvasCommands;
  onOpenEditor(blockId: string): void;
  onExport(blockId: string, target: ExportTarget): void;
  onEdit(blockId: string): void;
  onMenu(): void;
}

/** Does what a block key asks (block-keys.ts), as the node menu would. */
export function doBlockAction(action: BlockKeyAction, blockId: string, h: Handlers): void {
  const block = h.pipeline.blocks.find((b) => b.id === blockId);
  if (!block) return;
  if (action.kind === 'open') return h.onOpenEditor(blockId);
  if (action.kind === 'edit') return h.onEdit(blockId);
  if (action.kind === 'run') return void h.commands.run(blockId, action.scope);
  if (action.kind === 'menu') return h.onMenu();
  const target = h.exportTargets.find((t) => t.kind === action.target);
  if (target && block.type !== 'export') h.onExport(blockId, target);
}

/** Where a block's menu opens from the keyboard: over its node, inside the canvas. */
export function menuPlace(wrapper: HTMLDivElement | null, blockId: string): { x: number; y: number } {
  const box = wrapper?.getBoundingClientRect();
  const node = wrapper?.querySelector(`.react-flow__node[data-id="${CSS.escape(blockId)}"]`)?.getBoundingClientRect();
  return { x: (node?.left ?? 0) - (box?.left ?? 0) + 24, y: (node?.bottom ?? 0) - (box?.top ?? 0) };
}
