import type { BlockScopeKind } from '../editing/use-canvas-commands.ts';
import type { ExportTarget } from '../editing/export-blocks.ts';

interface Props {
  blockId: string;
  blockType: string;
  exportTargets: ExportTarget[];
  onRun(scope: BlockScopeKind): void;
  onExport(target: ExportTarget): void;
}

/** The selected block's runs and one-click exports, above its details (the same actions as its canvas menu). */
export function BlockActionBar({ blockId, blockType, exportTargets, onRun, onExport }: Props) {
  return (
    <div className="block-action-bar" role="toolbar" aria-label={`Actions for block ${blockId}`}>
      <button type="button" onClick={() => onRun('block')}>
        Run block
      </button>
      <button type="button" onClick={() => onRun('with-upstream')}>
        Run with upstream
      </button>
      <button type="button" onClick={() => onRun('downstream')}>
        Run from here
      </button>
      {blockType !== 'export' && exportTargets.length > 0 && <span className="block-action-sep" aria-hidden="true" />}
      {blockType !== 'export' &&
        exportTargets.map((target) => (
          <button type="button" key={target.kind} onClick={() => onExport(target)}>
            Export to {target.label}
          </button>
        ))}
    </div>
  );
}
