import { useCallback, useEffect } from 'react';
import type { ErrorShape } from '../../../main/model/errors.ts';
import { useApi } from '../api/ApiContext.tsx';
import { runVariablesFor, type VariableSpec } from '../runs/run-variables.ts';
import { CodeEditor } from './CodeEditor.tsx';
import { useBlockCode } from './use-block-code.ts';
import { useBlockProblems } from './use-block-problems.ts';
import { useUpstreamSchema } from './use-upstream-schema.ts';
import { useRunMessage } from './use-run-message.ts';

interface Props {
  pipelineId: string;
  blockId: string;
  upstream: readonly string[];
  /** Changes when a run ends, so completions pick up new columns. */
  version: string | null;
  /** The pipeline's declared variables: a block run uses the values set under Variables, as the toolbar's runs do. */
  variables: Record<string, VariableSpec>;
}

/** The block's SQL or TypeScript in CodeMirror: Ctrl/Cmd+S saves, Ctrl/Cmd+Enter saves and runs the block. */
export function BlockCodePanel({ pipelineId, blockId, upstream, version, variables }: Props) {
  const api = useApi();
  const { state, setText, save, reload } = useBlockCode(pipelineId, blockId);
  const { error, problems } = useBlockProblems(pipelineId, blockId);
  const schema = useUpstreamSchema(pipelineId, upstream, version);
  const { message: runMessage, setMessage: setRunMessage, started } = useRunMessage();

  const runBlock = useCallback(async () => {
    setRunMessage(null);
    if (!(await save())) return;
    try {
      const { runId } = await api.call('runs.start', {
        pipelineId,
        scope: { kind: 'block', block: blockId },
        variables: runVariablesFor(pipelineId, variables),
      });
      started(runId);
    } catch (e) {
      setRunMessage(e instanceof Error ? e.message : String(e));
    }
  }, [api, pipelineId, blockId, save, variables, setRunMessage, started]);

  // Outside the editor too (focus on a toolbar button), Ctrl/Cmd+S saves rather than the browser saving the page.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented || !(event.ctrlKey || event.metaKey) || event.key.toLowerCase() !== 's') return;
      event.preventDefault();
      void save();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [save]);

  if (state.status === 'loading')
    return (
      <p className="muted pad" role="status">
        Reading the code file…
      </p>
    );
  if (state.status === 'error')
    return (
      <p className="error-text pad" role="alert">
        {state.message}
      </p>
    );
  const isDirty = state.text !== state.savedText;
  return (
    <div className="code-panel">
      <div className="code-toolbar">
        <span className="code-file">{state.file}</span>
        {isDirty ? (
          <span className="dirty-mark" aria-label="Unsaved changes" title="Unsaved changes">
            ●
          </span>
        ) : (
          <span className="muted saved-mark">saved</span>
        )}
        <button type="button" onClick={() => void save()} disabled={state.isSaving || !isDirty} title="Ctrl/Cmd+S">
          Save
        </button>
        <button type="button" className="primary" onClick={() => void runBlock()} title="Ctrl/Cmd+Enter">
          Run block
        </button>
        {runMessage && (
          <span className={runMessage === 'Run failed' ? 'error-text' : 'muted'} role="status" aria-label="Block run">
            {runMessage}
          </span>
        )}
      </div>
      {state.hasConflict && (
        <div className="banner is-warning" role="alert">
          {state.file} changed on disk since you opened it.
          <button type="button" onClick={reload}>
            Reload from disk
          </button>
          <button type="button" onClick={() => void save(true)}>
            Overwrite with my version
          </button>
        </div>
      )}
      {state.saveError && (
        <div className="banner is-error" role="alert">
          Could not save: {state.saveError}
        </div>
      )}
      {error && (
        <div className="banner is-error" role="alert" aria-label="Last run error">
          {describeError(error)}
        </div>
      )}
      <CodeEditor
        text={state.text}
        language={state.file.endsWith('.ts') ? 'typescript' : state.file.endsWith('.py') ? 'python' : 'sql'}
        ariaLabel="Block code"
        schema={schema}
        problems={problems}
        onChange={setText}
        onSave={() => void save()}
        onRun={() => void runBlock()}
      />
    </div>
  );
}

/** The run error with where it happened: the editor marks the line, the banner says it in words. */
function describeError(error: ErrorShape): string {
  const place = error.place;
  const where = place?.line !== undefined ? `line ${place.line}${place.column !== undefined ? `, column ${place.column}` : ''}: ` : '';
  return `Last run failed at ${where || 'this block: '}${error.message}`;
}
