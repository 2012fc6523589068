import { useState } from 'react';
import { choiceIndexOf, emptyValueFor, shapeOf, withField, type FieldShape, type JsonSchema } from './json-schema.ts';

export interface FieldContext {
  /** Messages from the server by field path (`upload.parallelism`). */
  errors: ReadonlyMap<string, string>;
  /** Connection names (with types) for fields called `connection`. */
  connections: { name: string; type: string }[];
  /** Columns the block's fields may name (an export's upstream, known before any run), for fields such as partition_by. */
  columns?: string[];
}

/** Config fields whose values are column names of the data the block reads. */
const COLUMN_FIELDS = new Set(['partition_by', 'key', 'clustering', 'field']);

interface Props {
  name: string;
  path: string;
  schema: JsonSchema;
  value: unknown;
  isRequired: boolean;
  context: FieldContext;
  onChange(next: unknown): void;
}

/** One config field, labelled by its name, with its description (or default) as a hint and its server error below. */
export function SchemaField({ name, path, schema, value, isRequired, context, onChange }: Props) {
  const shape = shapeOf(schema);
  const error = context.errors.get(path);
  const id = `cfg-${path.replaceAll('.', '-')}`;
  if (shape.kind === 'object') {
    const obj = isRecord(value) ? value : {};
    return (
      <fieldset className="form-group">
        <legend>{name}</legend>
        {error && <FieldError id={`${id}-error`} message={error} />}
        {Object.entries(shape.schema.properties ?? {}).map(([key, child]) => (
          <SchemaField
            key={key}
            name={key}
            path={`${path}.${key}`}
            schema={child}
            value={obj[key]}
            context={context}
            isRequired={shape.schema.required?.includes(key) ?? false}
            onChange={(next) => onChange(emptyToUndefined(withField(obj, key, next)))}
          />
        ))}
      </fieldset>
    );
  }
  const described = schema.description ?? (schema.default !== undefined ? `default: ${JSON.stringify(schema.default)}` : undefined);
  const columns = COLUMN_FIELDS.has(name) && context.columns?.length ? `columns: ${context.columns.join(', ')}` : undefined;
  const hint = [described, columns].filter(Boolean).join(' · ') || undefined;
  return (
    <div className={`form-field${error ? ' has-error' : ''}`}>
      <label htmlFor={id}>
        {name}
        {isRequired && (
          <span className="required" aria-hidden="true">
            {' '}
            *
          </span>
        )}
      </label>
      <FieldInput
        id={id}
        path={path}
        name={name}
        shape={shape}
        schema={schema}
        value={value}
        context={context}
        onChange={onChange}
        describedBy={error ? `${id}-error` : undefined}
      />
      {hint && <span className="field-hint">{hint}</span>}
      {error && <FieldError id={`${id}-error`} message={error} />}
    </div>
  );
}

interface InputProps {
  id: string;
  path: string;
  name: string;
  shape: FieldShape;
  schema: JsonSchema;
  value: unknown;
  context: FieldContext;
  describedBy: string | undefined;
  onChange(next: unknown): void;
}

function FieldInput({ id, path, name, shape, schema, value, context, describedBy, onChange }: InputProps) {
  const common = { id, 'aria-describedby': describedBy, 'aria-invalid': describedBy ? true : undefined };
  if (name === 'connection' && shape.kind === 'string' && context.connections.length > 0) {
    return (
      <select {...common} value={typeof value === 'string' ? value : ''} onChange={(e) => onChange(e.target.value || undefined)}>
        <option value="">(project default)</option>
        {context.connections.map((c) => (
          <option key={c.name} value={c.name}>{`${c.name} (${c.type})`}</option>
        ))}
      </select>
    );
  }
  switch (shape.kind) {
    case 'enum':
      return (
        <select {...common} value={typeof value === 'string' ? value : ''} onChange={(e) => onChange(e.target.value || undefined)}>
          <option value="">{schema.default !== undefined ? `(default: ${String(schema.default)})` : '(not set)'}</option>
          {shape.values.map((v) => (
            <option key={v} value={v}>
              {v}
            </option>
          ))}
        </select>
      );
    case 'string': {
      const list = COLUMN_FIELDS.has(name) && context.columns?.length ? `${id}-columns` : undefined;
      return (
        <>
          <input
            {...common}
            {...(list ? { list } : {})}
            type={shape.format === 'uri' ? 'url' : 'text'}
            value={typeof value === 'string' ? value : ''}
            onChange={(e) => onChange(e.target.value === '' ? undefined : e.target.value)}
          />
          {list && (
            <datalist id={list}>
              {context.columns?.map((c) => (
                <option key={c} value={c} />
              ))}
            </datalist>
          )}
        </>
      );
    }
    case 'number':
      return <NumberInput common={common} isInteger={shape.isInteger} value={value} onChange={onChange} />;
    case 'boolean':
      return (
        <input
          {...common}
          type="checkbox"
          checked={value === undefined ? schema.default === true : value === true}
          onChange={(e) => onChange(e.target.checked)}
        />
      );
    case 'string-list':
      return <ListInput common={common} value={value} onChange={onChange} />;
    case 'string-map':
      return <MapInput common={common} value={value} onChange={onChange} />;
    case 'union':
      return <UnionInput common={common} path={path} name={name} shape={shape} value={value} context={context} onChange={onChange} />;
    default:
      return <JsonInput common={common} value={value} onChange={onChange} />;
  }
}

type Common = { id: string; 'aria-describedby': string | undefined; 'aria-invalid': boolean | undefined };

function NumberInput({
  common,
  isInteger,
  value,
  onChange,
}: {
  common: Common;
  isInteger: boolean;
  value: unknown;
  onChange(next: unknown): void;
}) {
  return (
    <input
      {...common}
      type="number"
      step={isInteger ? 1 : 'any'}
      value={typeof value === 'number' ? value : ''}
      onChange={(e) => onChange(e.target.value === '' ? undefined : Number(e.target.value))}
    />
  );
}

/** A list of texts as one comma-separated line. */
function ListInput({ common, value, onChange }: { common: Common; value: unknown; onChange(next: unknown): void }) {
  const [text, setText] = useState(Array.isArray(value) ? value.join(', ') : typeof value === 'string' ? value : '');
  return (
    <input
      {...common}
      type="text"
      placeholder="a, b, c"
      value={text}
      onChange={(e) => {
        setText(e.target.value);
        const items = e.target.value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        onChange(items.length ? items : undefined);
      }}
    />
  );
}

/** A name → text map (column types) as `name: TYPE` lines. */
function MapInput({ common, value, onChange }: { common: Common; value: unknown; onChange(next: unknown): void }) {
  const [text, setText] = useState(
    isRecord(value)
      ? Object.entries(value)
          .map(([k, v]) => `${k}: ${String(v)}`)
          .join('\n')
      : '',
  );
  return (
    <textarea
      {...common}
      rows={3}
      placeholder="column_name: BIGINT"
      value={text}
      onChange={(e) => {
        setText(e.target.value);
        const entries = e.target.value
          .split('\n')
          .map((line) => /^\s*([^:]+?)\s*:\s*(.+?)\s*$/.exec(line))
          .filter((m) => m !== null);
        onChange(entries.length ? Object.fromEntries(entries.map((m) => [m[1], m[2]])) : undefined);
      }}
    />
  );
}

function UnionInput({
  common,
  path,
  name,
  shape,
  value,
  context,
  onChange,
}: {
  common: Common;
  path: string;
  name: string;
  shape: Extract<FieldShape, { kind: 'union' }>;
  value: unknown;
  context: FieldContext;
  onChange(next: unknown): void;
}) {
  // An unset text-or-list field (a URL, say) starts as text: the common case needs no extra click.
  const index =
    value === undefined
      ? shape.choices.findIndex((c) => 'variant' in c && c.variant.type === 'string')
      : choiceIndexOf(shape.choices, value);
  const chosen = shape.choices[index];
  return (
    <div className="union-input">
      <select
        {...common}
        id={`${common.id}-choice`}
        aria-label={`${name}: kind of value`}
        value={index}
        onChange={(e) => {
          const choice = shape.choices[Number(e.target.value)];
          onChange(choice ? emptyValueFor(choice) : undefined);
        }}
      >
        <option value={-1}>(not set)</option>
        {shape.choices.map((c, i) => (
          <option key={i} value={i}>
            {c.label}
          </option>
        ))}
      </select>
      {chosen && 'variant' in chosen && (
        <SchemaField
          name={`${name} (${chosen.label})`}
          path={path}
          schema={chosen.variant}
          value={value}
          isRequired={false}
          context={context}
          onChange={onChange}
        />
      )}
    </div>
  );
}

function JsonInput({ common, value, onChange }: { common: Common; value: unknown; onChange(next: unknown): void }) {
  const [text, setText] = useState(value === undefined ? '' : JSON.stringify(value));
  const [isBad, setBad] = useState(false);
  return (
    <textarea
      {...common}
      rows={2}
      className={isBad ? 'is-bad' : ''}
      value={text}
      placeholder="JSON"
      onChange={(e) => {
        setText(e.target.value);
        try {
          onChange(e.target.value.trim() === '' ? undefined : JSON.parse(e.target.value));
          setBad(false);
        } catch {
          setBad(true); // keep the last valid value until the text parses again
        }
      }}
    />
  );
}

function FieldError({ id, message }: { id: string; message: string }) {
  return (
    <span className="field-error" id={id} role="alert">
      {message}
    </span>
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function emptyToUndefined(value: Record<string, unknown>): Record<string, unknown> | undefined {
  return Object.keys(value).length ? value : undefined;
}
