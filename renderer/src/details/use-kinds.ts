import { useEffect, useState } from 'react';
import { useApi } from '../api/ApiContext.tsx';
import { asJsonSchema, type JsonSchema } from './json-schema.ts';

/** A block kind as `kinds.list` describes it. */
export interface KindInfo {
  type: string;
  kind: string;
  title: string;
  configSchema: JsonSchema;
}

export interface FormSources {
  kinds: KindInfo[] | null;
  connections: { name: string; type: string }[];
  /** Why the kinds could not be read (the form then shows the config as YAML). */
  error: string | null;
}

/** The registered kinds (with config JSON Schemas) and the project's connection names, read once. */
export function useFormSources(): FormSources {
  const api = useApi();
  const [sources, setSources] = useState<FormSources>({ kinds: null, connections: [], error: null });
  useEffect(() => {
    let isCurrent = true;
    Promise.all([
      api.call('kinds.list'),
      api.call('project.get').catch(() => ({ connections: [] })), // names are a convenience
    ])
      .then(
        ([k, p]) =>
          isCurrent &&
          setSources({
            kinds: k.kinds.map((kind) => ({ ...kind, configSchema: asJsonSchema(kind.configSchema) })),
            connections: p.connections,
            error: null,
          }),
      )
      .catch(
        (error: unknown) =>
          isCurrent && setSources({ kinds: null, connections: [], error: error instanceof Error ? error.message : String(error) }),
      );
    return () => {
      isCurrent = false;
    };
  }, [api]);
  return sources;
}
