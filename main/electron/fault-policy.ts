import { installLastResort, type HandledFault } from '../runtime/last-resort.ts';
import type { AppLike, DialogLike } from './electron-types.ts';

/** How often at most the window tells the user about internal errors (each is logged regardless). */
const NOTICE_EVERY_MS = 60_000;

/**
 * The desktop app's main process never dies of one fault: a fault inside a block fails that attempt (the run
 * records it and the window shows the failed block); any other is logged with its stack and reported in a
 * non-blocking message box, at most once a minute, while the window stays up. A storm of them means main is
 * broken: the user is told, and the app exits rather than keep running in a corrupt state.
 */
export function installDesktopFaultPolicy(
  electron: { app: Pick<AppLike, 'exit'>; dialog?: Pick<DialogLike, 'showErrorBox' | 'showMessageBox'> },
  opts: { target?: NodeJS.EventEmitter; now?: () => number; log?: (message: string) => void } = {},
): () => void {
  const now = opts.now ?? Date.now;
  let lastNoticeAt = -Infinity;
  const notify = (fault: HandledFault) => {
    if (fault.owner || now() - lastNoticeAt < NOTICE_EVERY_MS) return;
    lastNoticeAt = now();
    const message = fault.error instanceof Error ? fault.error.message : String(fault.error);
    void electron.dialog
      ?.showMessageBox({
        type: 'warning',
        title: 'Pipewright',
        message: 'Pipewright hit an internal error and kept running',
        detail: `${message}\n\nRuns and the window carry on. The full error is in the app's log; if something looks wrong, restart the app.`,
      })
      .catch((error: unknown) => console.error('pipewright: could not show the error notice', error));
  };
  return installLastResort({
    report: opts.log ?? ((message) => console.error(message)),
    onFault: notify,
    exit: (code) => {
      electron.dialog?.showErrorBox(
        'Pipewright must stop',
        "Internal errors keep happening in the app's main process, so it stops rather than risk your project. Runs in progress are recorded as interrupted; start the app again to resume them.",
      );
      electron.app.exit(code);
    },
    ...(opts.target ? { target: opts.target } : {}),
  });
}
