import type { EditNotice } from '../editing/use-pipeline-editor.ts';
import { Toast } from './Toast.tsx';

/** The last edit's outcome: saved (fades), or refused with the reason (stays); a conflict offers a reload. */
export function EditStatus({ notice, onReload, onDismiss }: { notice: EditNotice | null; onReload(): void; onDismiss(): void }) {
  if (!notice) return null;
  return (
    <Toast
      tone={notice.kind === 'info' ? 'info' : 'error'}
      label="Edit status"
      dismissLabel="Dismiss"
      text={notice.text}
      onDismiss={onDismiss}
    >
      <span>{notice.text}</span>
      {notice.kind === 'conflict' && (
        <button type="button" onClick={onReload}>
          Reload
        </button>
      )}
    </Toast>
  );
}
