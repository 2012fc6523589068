import { useCallback, useEffect, useState } from 'react';

/** A declared variable of a pipeline as pipeline.yaml gives it: a bare default, or `{ default, description }`. */
export type VariableSpec = string | number | boolean | null | { default: string | number | boolean | null; description?: string };

const CHANGED = 'pipewright:run-variables';
const keyOf = (pipelineId: string) => `pipewright.runVariables.${pipelineId}`;

/** The default and description of a declared variable, as text. */
export function describeVariable(spec: VariableSpec): { defaultText: string; description: string } {
  const value = spec !== null && typeof spec === 'object' ? spec.default : spec;
  return {
    defaultText: value === null ? '' : String(value),
    description: spec !== null && typeof spec === 'object' ? (spec.description ?? '') : '',
  };
}

/** The values this window runs the pipeline with, over its declared defaults (kept in this browser's storage). */
export function readRunVariables(pipelineId: string): Record<string, string> {
  try {
    const parsed: unknown = JSON.parse(localStorage.getItem(keyOf(pipelineId)) ?? '{}');
    if (!parsed || typeof parsed !== 'object') return {};
    return Object.fromEntries(Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  } catch {
    return {}; // unreadable storage: run with the defaults
  }
}

/** Keeps the values (empty ones dropped: the default applies) and tells every hook in this window. */
export function saveRunVariables(pipelineId: string, values: Record<string, string>): void {
  const kept = Object.fromEntries(Object.entries(values).filter(([, value]) => value !== ''));
  localStorage.setItem(keyOf(pipelineId), JSON.stringify(kept));
  window.dispatchEvent(new CustomEvent(CHANGED, { detail: pipelineId }));
}

/** The pipeline's run values, kept current when they are saved, limited to the variables it still declares. */
export function useRunVariables(
  pipelineId: string | null,
  declared: Record<string, VariableSpec>,
): [Record<string, string>, (values: Record<string, string>) => void] {
  const [values, setValues] = useState<Record<string, string>>(() => (pipelineId ? readRunVariables(pipelineId) : {}));
  useEffect(() => {
    if (!pipelineId) return;
    setValues(readRunVariables(pipelineId));
    const onChange = (event: Event) => (event as CustomEvent<string>).detail === pipelineId && setValues(readRunVariables(pipelineId));
    window.addEventListener(CHANGED, onChange);
    return () => window.removeEventListener(CHANGED, onChange);
  }, [pipelineId]);
  const save = useCallback((next: Record<string, string>) => pipelineId && saveRunVariables(pipelineId, next), [pipelineId]);
  const shown = Object.fromEntries(Object.entries(values).filter(([name]) => name in declared));
  return [shown, save];
}

/** What a run started from this window sends: the saved values of variables the pipeline declares. */
export function runVariablesFor(pipelineId: string, declared: Record<string, VariableSpec> | undefined): Record<string, string> {
  const saved = readRunVariables(pipelineId);
  return declared ? Object.fromEntries(Object.entries(saved).filter(([name]) => name in declared)) : saved;
}
