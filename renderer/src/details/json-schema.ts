/** The part of JSON Schema (as zod's `toJSONSchema` writes it) that config forms understand. */
export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  default?: unknown;
  description?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
}

/** `kinds.list` sends each kind's schema as plain JSON: an object is read as a schema, anything else as none (JSON text). */
export function asJsonSchema(value: unknown): JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonSchema) : {};
}

/** How one field is edited. */
export type FieldShape =
  | { kind: 'enum'; values: string[] }
  | { kind: 'string'; format?: string }
  | { kind: 'number'; isInteger: boolean }
  | { kind: 'boolean' }
  | { kind: 'string-list' }
  | { kind: 'object'; schema: JsonSchema }
  | { kind: 'string-map' }
  | { kind: 'union'; choices: UnionChoice[] }
  | { kind: 'json' };

/** One choice of a union: a constant (`none`, `adc`) or a variant edited with its own shape (`{ key_file }`). */
export type UnionChoice = { label: string; constant: string } | { label: string; variant: JsonSchema };

/** The editor a schema calls for; anything unusual falls back to JSON text. */
export function shapeOf(schema: JsonSchema): FieldShape {
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants) return { kind: 'union', choices: variants.flatMap(choicesOf) };
  if (schema.enum?.every((v) => typeof v === 'string')) return { kind: 'enum', values: schema.enum as string[] };
  switch (schema.type) {
    case 'string':
      return schema.format ? { kind: 'string', format: schema.format } : { kind: 'string' };
    case 'number':
    case 'integer':
      return { kind: 'number', isInteger: schema.type === 'integer' };
    case 'boolean':
      return { kind: 'boolean' };
    case 'array':
      return schema.items?.type === 'string' ? { kind: 'string-list' } : { kind: 'json' };
    case 'object':
      if (schema.properties) return { kind: 'object', schema };
      if (typeof schema.additionalProperties === 'object' && schema.additionalProperties.type === 'string') return { kind: 'string-map' };
      return { kind: 'json' };
    default:
      return { kind: 'json' };
  }
}

function choicesOf(variant: JsonSchema): UnionChoice[] {
  if (variant.enum?.every((v) => typeof v === 'string')) return (variant.enum as string[]).map((v) => ({ label: v, constant: v }));
  if (typeof variant.const === 'string') return [{ label: variant.const, constant: variant.const }];
  const props = variant.properties ? Object.keys(variant.properties).join(', ') : undefined;
  const label =
    variant.type === 'array'
      ? 'list'
      : variant.type === 'object'
        ? (props ?? 'object')
        : variant.type === 'string'
          ? 'text'
          : String(variant.type ?? 'value');
  return [{ label, variant }];
}

/** Which union choice a value belongs to (by constant, then by JSON type), or -1. */
export function choiceIndexOf(choices: UnionChoice[], value: unknown): number {
  const constant = choices.findIndex((c) => 'constant' in c && c.constant === value);
  if (constant >= 0) return constant;
  return choices.findIndex((c) => 'variant' in c && matchesType(c.variant, value));
}

function matchesType(schema: JsonSchema, value: unknown): boolean {
  if (schema.type === 'array') return Array.isArray(value);
  if (schema.type === 'object') return typeof value === 'object' && value !== null && !Array.isArray(value);
  if (schema.type === 'integer') return typeof value === 'number';
  return typeof value === schema.type;
}

/** A starting value when the user picks a union choice. */
export function emptyValueFor(choice: UnionChoice): unknown {
  if ('constant' in choice) return choice.constant;
  if (choice.variant.type === 'array') return [];
  if (choice.variant.type === 'object') return {};
  return choice.variant.type === 'string' ? '' : undefined;
}

/** The field path inside `config` that a server error points at (`blocks[1].config.upload.parallelism` → `upload.parallelism`). */
export function configFieldOf(errorPath: string | undefined): string | undefined {
  const match = /(?:^|\.)config\.(.+)$/.exec(errorPath ?? '');
  return match?.[1]?.replace(/\[\d+\]$/, '');
}

/** `value` with `key` set, or removed when `next` is undefined (an emptied field leaves the YAML). */
export function withField(value: Record<string, unknown>, key: string, next: unknown): Record<string, unknown> {
  const copy = { ...value };
  if (next === undefined) delete copy[key];
  else copy[key] = next;
  return copy;
}
