import { useEffect, useRef, useState } from 'react';
import type { SQLNamespace } from '@codemirror/lang-sql';
import type { EditorCallbacks, EditorLanguage, EditorProblem, MountedEditor } from './codemirror-setup.ts';
import './editor.css';

export type { EditorProblem, EditorLanguage } from './codemirror-setup.ts';

interface Props extends EditorCallbacks {
  /** The text to show; when it changes from outside (a reload), the editor takes it over. */
  text: string;
  language: EditorLanguage;
  ariaLabel: string;
  /** Tables and their columns for SQL completion. */
  schema?: SQLNamespace;
  problems?: readonly EditorProblem[];
  placeholder?: string;
  /** Receives the mounted editor (to insert text at the cursor), or null once unmounted. */
  onMounted?(editor: MountedEditor | null): void;
}

/** CodeMirror 6, loaded on first use (its ~400 KB stay out of the start-up bundle). */
export function CodeEditor({ text, language, ariaLabel, schema, problems, placeholder, onMounted, ...callbacks }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<MountedEditor | null>(null);
  const latest = useRef<EditorCallbacks>(callbacks);
  latest.current = callbacks;
  const [loadError, setLoadError] = useState<string | null>(null);
  const [isReady, setReady] = useState(false);
  const initial = useRef({ text, language, schema: schema ?? {}, ariaLabel, placeholder });

  useEffect(() => {
    let isCurrent = true;
    import('./codemirror-setup.ts')
      .then(({ mountEditor }) => {
        if (!isCurrent || !host.current) return;
        const opts = initial.current;
        editor.current = mountEditor(host.current, {
          ...opts,
          ...(opts.placeholder ? { placeholder: opts.placeholder } : {}),
          callbacks: latest,
        });
        setReady(true);
      })
      .catch((error: unknown) => setLoadError(error instanceof Error ? error.message : String(error)));
    return () => {
      isCurrent = false;
      editor.current?.destroy();
      editor.current = null;
    };
  }, []);

  useEffect(() => {
    if (isReady) onMounted?.(editor.current);
    return () => onMounted?.(null);
  }, [isReady, onMounted]);
  useEffect(() => {
    const mounted = editor.current;
    if (mounted && mounted.view.state.doc.toString() !== text) mounted.replaceText(text);
  }, [text, isReady]);
  useEffect(() => editor.current?.setLanguage(language, schema ?? {}), [language, schema, isReady]);
  useEffect(() => editor.current?.setProblems(problems ?? []), [problems, isReady]);

  if (loadError)
    return (
      <p className="error-text" role="alert">
        The editor could not load: {loadError}
      </p>
    );
  return (
    <div className="code-editor" ref={host} data-ready={isReady ? 'true' : 'false'}>
      {!isReady && (
        <p className="muted editor-loading" role="status">
          Loading the editor…
        </p>
      )}
    </div>
  );
}
