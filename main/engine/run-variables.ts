import { UserError } from '../model/errors.ts';
import type { Pipeline } from '../model/project.ts';
import { builtinVariables, renderTemplate, type RunInterval } from '../model/templating.ts';

/** The pipeline's declared defaults (`name: value` or `name: { default: value }`). */
export function declaredDefaults(pipeline: Pipeline): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(pipeline.spec.variables).map(([name, spec]) => [name, spec !== null && typeof spec === 'object' ? spec.default : spec]),
  );
}

/**
 * A run's variables: declared defaults, then per-run overrides (only of declared names), then built-ins
 * (execution_date, ds, interval_start/end, run_id, pipeline_id), which cannot be overridden except execution_date.
 */
export function resolveRunVariables(
  pipeline: Pipeline,
  overrides: Record<string, unknown>,
  run: { runId: string; pipelineId: string; executionDate: Date; interval?: RunInterval },
): Record<string, unknown> {
  const defaults = declaredDefaults(pipeline);
  const builtins = builtinVariables(run);
  for (const name of Object.keys(overrides)) {
    if (!Object.hasOwn(defaults, name) && name !== 'execution_date') {
      const known = Object.keys(defaults).join(', ') || 'none';
      throw new UserError(`unknown variable '${name}': pipeline ${pipeline.id} declares ${known}`, { path: `variables.${name}` });
    }
  }
  if (typeof overrides.execution_date === 'string') {
    const date = new Date(overrides.execution_date);
    if (Number.isNaN(date.getTime()))
      throw new UserError(`execution_date '${overrides.execution_date}' is not a date (use 2021-01-31 or an ISO timestamp)`);
    Object.assign(builtins, builtinVariables({ ...run, executionDate: date }));
  }
  const { execution_date: _ignored, ...rest } = overrides;
  const variables = { ...defaults, ...rest, ...builtins };
  // A value may derive from variables declared before it (`bucket: "{{ gcp_project }}-nyc-taxi"`) and from the
  // built-ins, a --var too: `--var "month={{ interval_start.strftime('%Y-%m') }}"` gives each backfill run its month.
  for (const name of Object.keys(defaults)) {
    const value = variables[name];
    if (typeof value === 'string' && value.includes('{{')) variables[name] = renderVariable(name, value, variables);
  }
  return variables;
}

function renderVariable(name: string, value: string, variables: Record<string, unknown>): string {
  try {
    return renderTemplate(value, variables);
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    throw new UserError(`variables.${name}: ${error.message}`, { path: `variables.${name}` }, { cause: error });
  }
}
