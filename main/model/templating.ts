import { UserError } from './errors.ts';
import { strftime } from './strftime.ts';

/**
 * `{{ name }}` templating for SQL text and block config, like Mage's runtime variables.
 * Values are inserted as text (SQL: quote them yourself, `'{{ ds }}'`). A config string that is exactly one
 * `{{ name }}` keeps the variable's own type, so `limit: "{{ max_rows }}"` stays a number.
 * `{{ env.NAME }}` reads an environment variable. `{{ interval_start.strftime('%Y-%m') }}` formats a date variable
 * (Jinja's, as Mage and Airflow users write it; see strftime.ts).
 */

// `{{ name }}`, `{{ record.field }}`, and Jinja's `{{ name.strftime('%Y-%m') }}` (a date variable formatted).
const REFERENCE = String.raw`\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.(?!strftime\s*\()[A-Za-z_][A-Za-z0-9_]*)?)(?:\.strftime\(\s*(?:'([^']*)'|"([^"]*)")\s*\))?\s*\}\}`;
const TEMPLATE = new RegExp(REFERENCE, 'g');
const WHOLE_TEMPLATE = new RegExp(`^${REFERENCE}$`);

/** Renders `{{ name }}` references in `text`; throws a UserError naming an unknown variable or a bad date format. */
export function renderTemplate(text: string, variables: Record<string, unknown>, opts: RenderOptions = {}): string {
  return text.replace(TEMPLATE, (match, name: string, single?: string, double?: string) =>
    formatValue(resolve(match, name, single ?? double, variables, opts)),
  );
}

/** The variable's value, or the date it holds formatted by `format` (`.strftime(format)`). */
function resolve(
  match: string,
  name: string,
  format: string | undefined,
  variables: Record<string, unknown>,
  opts: RenderOptions,
): unknown {
  const value = lookup(name, variables, opts);
  return format === undefined ? value : strftime(value, format, match);
}

export interface RenderOptions {
  /**
   * At load time an unset `{{ env.NAME }}` renders as a placeholder, and so does a field of a record variable
   * (`{{ item.url }}`: a dynamic child's item, whose columns are known only at run time); at run time both are errors.
   */
  missingEnv?: 'error' | 'placeholder';
}

/**
 * Renders every string inside a config value (objects and arrays walked); other values are kept. Given `path`
 * (`config`), a UserError names the field (`config.url: …`).
 */
export function renderConfig(value: unknown, variables: Record<string, unknown>, opts: RenderOptions = {}, path?: string): unknown {
  if (typeof value === 'string') return renderField(value, variables, opts, path);
  if (Array.isArray(value)) return value.map((item, i) => renderConfig(item, variables, opts, path && `${path}[${i}]`));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, renderConfig(v, variables, opts, path && `${path}.${k}`)]));
  }
  return value;
}

function renderField(value: string, variables: Record<string, unknown>, opts: RenderOptions, path: string | undefined): unknown {
  try {
    const whole = WHOLE_TEMPLATE.exec(value);
    if (whole?.[1]) return resolve(whole[0], whole[1], whole[2] ?? whole[3], variables, opts);
    return renderTemplate(value, variables, opts);
  } catch (error) {
    if (!path || !(error instanceof UserError) || error.place.path) throw error;
    throw new UserError(`${path}: ${error.message}`, { ...error.place, path }, { cause: error });
  }
}

/** Names of the variables a text refers to (for the UI and for load-time checks). */
export function referencedVariables(text: string): string[] {
  return [...new Set([...text.matchAll(TEMPLATE)].map((m) => m[1] ?? ''))];
}

/** The data interval a run covers (backfills and schedules set it; otherwise the execution date's day). */
export interface RunInterval {
  start: Date;
  /** Exclusive. */
  end: Date;
}

/**
 * Built-in variables of a run: execution_date (ISO timestamp), ds (its date), interval_start and interval_end
 * (ISO dates, end exclusive), run_id, pipeline_id.
 */
export function builtinVariables(args: {
  runId: string;
  pipelineId: string;
  executionDate: Date;
  interval?: RunInterval;
}): Record<string, unknown> {
  const iso = args.executionDate.toISOString();
  const dayStart = new Date(`${iso.slice(0, 10)}T00:00:00.000Z`);
  const interval = args.interval ?? { start: dayStart, end: new Date(dayStart.getTime() + 86_400_000) };
  return {
    execution_date: iso,
    ds: iso.slice(0, 10),
    interval_start: interval.start.toISOString().slice(0, 10),
    interval_end: interval.end.toISOString().slice(0, 10),
    run_id: args.runId,
    pipeline_id: args.pipelineId,
  };
}

/** Stand-ins for the built-ins, so configs can be validated when a pipeline is loaded (no run yet). */
export function builtinVariablePlaceholders(): Record<string, unknown> {
  return builtinVariables({ runId: 'r_placeholder', pipelineId: 'pipeline', executionDate: new Date(0) });
}

function lookup(name: string, variables: Record<string, unknown>, opts: RenderOptions): unknown {
  if (name.startsWith('env.')) {
    const key = name.slice(4);
    const value = process.env[key];
    if (value === undefined && opts.missingEnv === 'placeholder') return `env-${key}`;
    if (value === undefined) throw new UserError(`environment variable ${key} is not set (used as {{ ${name} }})`);
    return value;
  }
  const field = recordField(name, variables, opts);
  if (field) return field.value;
  if (!Object.hasOwn(variables, name)) {
    const known = Object.keys(variables).sort().join(', ');
    throw new UserError(`unknown variable '${name}' in {{ ${name} }}; known variables: ${known || 'none'}`);
  }
  return variables[name];
}

function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * `{{ item.url }}` where `item` is an object variable (a dynamic child's item): its field, a placeholder at load
 * time, or a UserError naming the fields there are. Undefined when `name` is not `<record>.<field>`.
 */
function recordField(name: string, variables: Record<string, unknown>, opts: RenderOptions): { value: unknown } | undefined {
  const dot = name.indexOf('.');
  if (dot < 0) return undefined;
  const head = name.slice(0, dot);
  const record = variables[head];
  if (!Object.hasOwn(variables, head) || record === null || typeof record !== 'object' || record instanceof Date) return undefined;
  const key = name.slice(dot + 1);
  if (Object.hasOwn(record, key)) return { value: (record as Record<string, unknown>)[key] };
  if (opts.missingEnv === 'placeholder') return { value: `${head}-${key}` };
  const fields = Object.keys(record).join(', ') || 'none';
  throw new UserError(`unknown field '${key}' in {{ ${name} }}; ${head} has: ${fields}`);
}

/** Whether `name` (`item.url`) reads a field of an object variable, so load-time checks accept it. */
export function isRecordReference(name: string, variables: Record<string, unknown>): boolean {
  const head = name.split('.')[0] ?? '';
  const record = variables[head];
  return name.includes('.') && Object.hasOwn(variables, head) && record !== null && typeof record === 'object';
}
