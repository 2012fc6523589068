import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useApi } from '../api/ApiContext.tsx';
import { ApiError } from '../api/api-client.ts';
import { configFieldOf, withField, type JsonSchema } from './json-schema.ts';
import { SchemaField, type FieldContext } from './SchemaField.tsx';
import './config-form.css';

interface Props {
  pipelineId: string;
  blockId: string;
  /** The pipeline's version as loaded (`pipelines.get`): a save against an older one is refused. */
  version: string | undefined;
  config: Record<string, unknown>;
  schema: JsonSchema;
  connections: { name: string; type: string }[];
  /** Columns its fields may name (partition_by, key, clustering), known before any run. */
  columns?: string[];
}

type SaveState = { status: 'idle' } | { status: 'saving' } | { status: 'saved' } | { status: 'error'; message: string; field?: string };

/** A typed form for a block's config, generated from its kind's schema; saves through `blocks.update`. */
export function ConfigForm({ pipelineId, blockId, version, config, schema, connections, columns }: Props) {
  const api = useApi();
  const [draft, setDraft] = useState(config);
  const [baseVersion, setBaseVersion] = useState(version);
  const [save, setSave] = useState<SaveState>({ status: 'idle' });
  const [isChangedElsewhere, setChangedElsewhere] = useState(false);
  const loaded = JSON.stringify(config);
  const draftText = useRef(JSON.stringify(draft));
  draftText.current = JSON.stringify(draft);
  const previous = useRef(loaded);
  // A reload from disk: edits to other blocks only move the version; a change to this block's config replaces an
  // untouched draft, but never unsaved edits (the user discards them, or saves and meets the server's conflict).
  useEffect(() => {
    const before = previous.current;
    previous.current = loaded;
    if (before === loaded || draftText.current === loaded) return setBaseVersion(version);
    if (draftText.current === before) {
      setDraft(JSON.parse(loaded) as Record<string, unknown>);
      setBaseVersion(version);
    } else {
      setChangedElsewhere(true);
    }
  }, [loaded, version]);
  const isDirty = JSON.stringify(draft) !== loaded;
  const discard = () => {
    setDraft(JSON.parse(loaded) as Record<string, unknown>);
    setBaseVersion(version);
    setChangedElsewhere(false);
  };

  const submit = useCallback(async () => {
    if (!baseVersion) return setSave({ status: 'error', message: 'the pipeline version is unknown: reload the pipeline' });
    setSave({ status: 'saving' });
    try {
      const reply = await api.call('blocks.update', { pipelineId, blockId, expectedVersion: baseVersion, patch: { config: draft } });
      setBaseVersion(reply.version);
      setSave({ status: 'saved' });
    } catch (error) {
      const field = error instanceof ApiError ? configFieldOf(error.shape.place?.path) : undefined;
      setSave({ status: 'error', message: error instanceof Error ? error.message : String(error), ...(field ? { field } : {}) });
    }
  }, [api, pipelineId, blockId, baseVersion, draft]);

  const context = useMemo<FieldContext>(
    () => ({
      connections,
      ...(columns ? { columns } : {}),
      errors: new Map(save.status === 'error' && save.field ? [[save.field, fieldMessage(save.message)]] : []),
    }),
    [connections, columns, save],
  );
  const properties = Object.entries(schema.properties ?? {});
  return (
    <form
      className="config-form"
      aria-label={`Config of ${blockId}`}
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
      onKeyDown={(e) => {
        if ((e.ctrlKey || e.metaKey) && e.key === 's') {
          e.preventDefault();
          void submit();
        }
      }}
    >
      {isChangedElsewhere && (
        <p className="field-error" role="alert">
          This block's config changed on disk while you edited it: Discard loads the new one; saving is refused until then.
        </p>
      )}
      {properties.length === 0 && <p className="muted">This kind has no settings.</p>}
      {properties.map(([key, child]) => (
        <SchemaField
          key={key}
          name={key}
          path={key}
          schema={child}
          value={draft[key]}
          context={context}
          isRequired={schema.required?.includes(key) ?? false}
          onChange={(next) => setDraft((d) => withField(d, key, next))}
        />
      ))}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={!isDirty || save.status === 'saving'}>
          Save config
        </button>
        <button type="button" disabled={!isDirty} onClick={discard}>
          Discard
        </button>
        {isDirty && (
          <span className="dirty-mark" aria-label="Unsaved changes">
            ●
          </span>
        )}
        {save.status === 'saved' && !isDirty && (
          <span className="muted" role="status">
            Saved to pipeline.yaml
          </span>
        )}
        {save.status === 'error' && !save.field && (
          <span className="field-error" role="alert">
            {save.message}
          </span>
        )}
      </div>
    </form>
  );
}

/** The loader's first line, without its file position and config path: the field shows just its complaint. */
function fieldMessage(message: string): string {
  const line = message.split('\n').find((l) => l.trim()) ?? message;
  return line.replace(/^\S+:\d+:\d+ /, '').replace(/^blocks\[\d+\]\.config\.\S+: /, '');
}
