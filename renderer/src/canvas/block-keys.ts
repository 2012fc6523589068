import type { BlockScopeKind } from '../editing/use-canvas-commands.ts';

/** What a key does to the focused (or the one selected) block: the node menu's actions, and opening its editor. */
export type BlockKeyAction =
  { kind: 'open' } | { kind: 'menu' } | { kind: 'edit' } | { kind: 'run'; scope: BlockScopeKind } | { kind: 'export'; target: string };

interface BlockKey {
  keys: string;
  does: string;
  action: BlockKeyAction;
  matches(event: KeyboardEvent): boolean;
}

const plain =
  (key: string, shift = false) =>
  (e: KeyboardEvent) =>
    e.key.toLowerCase() === key && e.shiftKey === shift && !e.ctrlKey && !e.metaKey && !e.altKey;

/** One line each in the node menu and the "?" help; `Mod+C` and Delete (copy, delete) are canvas-wide keys. */
export const BLOCK_KEYS: BlockKey[] = [
  { keys: 'Enter', does: 'open the block in the editor (code, or config)', action: { kind: 'open' }, matches: plain('enter') },
  {
    keys: 'Shift+F10 / Menu',
    does: 'open the block menu',
    action: { kind: 'menu' },
    matches: (e) => e.key === 'ContextMenu' || (e.key === 'F10' && e.shiftKey),
  },
  { keys: 'R', does: 'run block', action: { kind: 'run', scope: 'block' }, matches: plain('r') },
  { keys: 'Shift+R', does: 'run with upstream', action: { kind: 'run', scope: 'with-upstream' }, matches: plain('r', true) },
  { keys: 'D', does: 'run from here (and everything downstream)', action: { kind: 'run', scope: 'downstream' }, matches: plain('d') },
  { keys: 'P', does: 'export to Postgres', action: { kind: 'export', target: 'postgres' }, matches: plain('p') },
  { keys: 'G', does: 'export to GCS', action: { kind: 'export', target: 'gcs' }, matches: plain('g') },
  { keys: 'B', does: 'export to BigQuery', action: { kind: 'export', target: 'bigquery' }, matches: plain('b') },
  { keys: 'X', does: 'export to a file', action: { kind: 'export', target: 'local_file' }, matches: plain('x') },
  { keys: 'E', does: 'edit name and config…', action: { kind: 'edit' }, matches: plain('e') },
];

/** The key of a node-menu action, for its hint: `run block` → R. */
export function keyOf(action: BlockKeyAction): string | undefined {
  return BLOCK_KEYS.find((k) => JSON.stringify(k.action) === JSON.stringify(action))?.keys.split(' ')[0];
}

/** The block action an event asks for, or null. */
export function blockKeyAction(event: KeyboardEvent): BlockKeyAction | null {
  return BLOCK_KEYS.find((k) => k.matches(event))?.action ?? null;
}

/**
 * The block a key acts on: the focused node, else the only selected one, and only while focus is on the canvas (or
 * nowhere): Enter on a toolbar button keeps meaning that button.
 */
export function keyTarget(event: KeyboardEvent, selectedIds: readonly string[]): string | null {
  const target = event.target instanceof Element ? event.target : null;
  const focusedNode = target?.closest('.react-flow__node')?.getAttribute('data-id');
  if (focusedNode) return focusedNode;
  // The canvas's own panels (its toolbar, zoom controls, minimap) sit inside the wrapper: their keys are theirs.
  if (target?.closest('.react-flow__panel')) return null;
  const onCanvas =
    !target || target === document.body || target.closest('.react-flow__pane, .react-flow__renderer, .canvas-wrapper') !== null;
  return onCanvas && selectedIds.length === 1 ? (selectedIds[0] ?? null) : null;
}
