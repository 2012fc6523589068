import { useEffect, useId, useRef, type ReactNode } from 'react';

/** A native modal <dialog> named by its title: focus stays inside, Escape and the Close button close it. */
export function Modal({ title, onClose, children, wide }: { title: string; onClose(): void; children: ReactNode; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);
  return (
    // role="dialog" spelled out: the canvas shortcuts stand aside while an element with that attribute is open.
    <dialog
      ref={ref}
      role="dialog"
      aria-modal="true"
      className={`orch-modal${wide ? ' is-wide' : ''}`}
      aria-labelledby={titleId}
      onClose={onClose}
    >
      <header className="orch-modal-head">
        <h2 id={titleId}>{title}</h2>
        <button type="button" className="icon-button" onClick={onClose} aria-label="Close">
          ✕
        </button>
      </header>
      {children}
    </dialog>
  );
}
