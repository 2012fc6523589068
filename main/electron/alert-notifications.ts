/** Electron's `Notification`, as far as alerts use it (structural, so tests pass a fake). */
export interface NotificationLike {
  show(): void;
  on(event: 'click', listener: () => void): unknown;
}

export interface NotificationClass {
  new (options: { title: string; body: string; silent?: boolean }): NotificationLike;
  isSupported(): boolean;
}

/** The fields of an `alerts.raised` payload a notification shows. */
interface AlertPayload {
  title: string;
  text: string;
  runId: string;
  event: string;
}

/**
 * Shows an `alerts.raised` payload as a desktop notification; clicking it calls `onClick` (focus the window).
 * Returns whether one was shown: not where the OS has no notifications, nor for a payload without a title.
 */
export function showAlertNotification(Notification: NotificationClass, payload: unknown, onClick: () => void): boolean {
  if (!isAlertPayload(payload) || !Notification.isSupported()) return false;
  // The title is in the notification's heading already; the body keeps the error and where to look.
  const body = payload.text.split('\n').slice(1).join('\n');
  const notification = new Notification({ title: payload.title, body, silent: payload.event === 'success' });
  notification.on('click', onClick);
  notification.show();
  return true;
}

function isAlertPayload(value: unknown): value is AlertPayload {
  const v = value as Partial<AlertPayload> | null;
  return typeof v === 'object' && v !== null && typeof v.title === 'string' && typeof v.text === 'string' && typeof v.runId === 'string';
}
