import { BLOCK_KEYS } from './block-keys.ts';

/** The canvas's keyboard shortcuts; `Mod` is Ctrl (⌘ on macOS). */
export const SHORTCUTS: [keys: string, action: string][] = [
  ['Double-click / Enter on a palette item', 'add that block (connected to the selected block)'],
  ['Drag from an output handle to an input', 'connect two blocks'],
  ['Shift+click, Shift+drag', 'select several blocks'],
  ['Delete / Backspace', 'delete the selection'],
  ['Mod+C / Mod+V', 'copy / paste blocks (also into another pipeline)'],
  ['Mod+Z / Mod+Shift+Z', 'undo / redo (written to the files)'],
  ['Mod+A', 'select every block'],
  ['F', 'zoom to fit'],
  ['M', 'show or hide the minimap'],
  ['L', 'auto-layout'],
  ['Right-click a block', 'run, export, edit, copy, delete'],
  ...BLOCK_KEYS.map((k): [string, string] => [k.keys, `${k.does} (the focused or selected block)`]),
  ['?', 'show this help'],
  ['Escape', 'close menus and dialogs, clear the selection'],
];

/** The "?" overlay listing every shortcut. */
export function ShortcutHelp({ onClose }: { onClose(): void }) {
  return (
    <div className="dialog-backdrop" onClick={onClose}>
      <div
        className="dialog"
        role="dialog"
        aria-modal="true"
        aria-label="Keyboard shortcuts"
        onClick={(e) => e.stopPropagation()}
        onKeyDown={(e) => e.key === 'Escape' && onClose()}
      >
        <h2>Keyboard shortcuts</h2>
        <table className="shortcut-table">
          <tbody>
            {SHORTCUTS.map(([keys, action]) => (
              <tr key={keys}>
                <th scope="row">
                  <kbd>{keys}</kbd>
                </th>
                <td>{action}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <div className="dialog-actions">
          <button type="button" className="primary" onClick={onClose} autoFocus>
            Close
          </button>
        </div>
      </div>
    </div>
  );
}
