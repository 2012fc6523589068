import type { CanvasSession } from '../editing/use-canvas-session.ts';
import { ExportDialog } from './ExportDialog.tsx';
import { NameBlockDialog } from './NameBlockDialog.tsx';

/** The dialogs an add or a one-click export opens before anything is written. */
export function SessionDialogs({
  session,
  defaultConnections,
  projectName,
}: {
  session: CanvasSession;
  defaultConnections: Record<string, string>;
  projectName: string;
}) {
  return (
    <>
      {session.pendingAdd && (
        <NameBlockDialog
          key={session.pendingAdd.defaultName}
          pending={session.pendingAdd}
          onSubmit={session.confirmAdd}
          onClose={session.cancelAdd}
        />
      )}
      {session.pendingExport && (
        <ExportDialog
          key={`${session.pendingExport.blockId}:${session.pendingExport.target.kind}`}
          blockId={session.pendingExport.blockId}
          target={session.pendingExport.target}
          defaultConnections={defaultConnections}
          projectName={projectName}
          onSubmit={session.confirmExport}
          onClose={session.cancelExport}
        />
      )}
    </>
  );
}
