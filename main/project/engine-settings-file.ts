import { randomBytes } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { UserError } from '../model/errors.ts';
import { PROJECT_FILE } from './load-project.ts';
import type { Project } from '../model/project.ts';
import { engineSettingsSchema, retryConfigSchema } from '../model/schema.ts';

/** The engine settings the settings screen edits, as text ('' = not set: DuckDB's or the engine's default). */
export const engineSettingsForm = z.strictObject({
  threads: z.string().max(100),
  memory_limit: z.string().max(100),
  concurrency: z.string().max(100),
  retries: z.string().max(100),
});
export type EngineSettingsForm = z.infer<typeof engineSettingsForm>;

/** The project's engine settings as the settings screen shows them. */
export function readEngineSettings(project: Project): EngineSettingsForm {
  const engine = project.settings.engine;
  const text = (value: number | string | undefined) => (value === undefined ? '' : String(value));
  return {
    threads: text(engine.threads),
    memory_limit: text(engine.memory_limit),
    concurrency: text(engine.concurrency),
    retries: text(engine.retry?.retries),
  };
}

/** Where each form field lives in pipewright.yaml, and the schema that checks it. */
const FIELDS = {
  threads: { at: ['engine', 'threads'], schema: engineSettingsSchema.shape.threads, isNumber: true },
  memory_limit: { at: ['engine', 'memory_limit'], schema: engineSettingsSchema.shape.memory_limit, isNumber: false },
  concurrency: { at: ['engine', 'concurrency'], schema: engineSettingsSchema.shape.concurrency, isNumber: true },
  retries: { at: ['engine', 'retry', 'retries'], schema: retryConfigSchema.shape.retries, isNumber: true },
} as const;

/**
 * Writes the engine settings into pipewright.yaml, keeping its comments and layout, and updates the open project.
 * Each field is checked with the schema the loader uses; the first bad one fails naming it (place.path is the
 * field) and nothing is written. DuckDB's threads and memory limit apply when the project is next opened.
 */
export async function saveEngineSettings(project: Project, form: EngineSettingsForm): Promise<EngineSettingsForm> {
  const values = Object.fromEntries(
    Object.entries(FIELDS).map(([field, spec]) => [field, parseField(field, form[field as keyof EngineSettingsForm], spec)]),
  );
  const file = path.join(project.dir, PROJECT_FILE);
  const doc = parseDocument(await readFile(file, 'utf8'));
  if (doc.errors.length) throw new UserError(`${PROJECT_FILE} does not parse: fix it in an editor first`, { file: PROJECT_FILE });
  for (const [field, spec] of Object.entries(FIELDS)) {
    const value = values[field];
    if (value === undefined) {
      if (doc.hasIn(spec.at)) doc.deleteIn(spec.at);
    } else {
      doc.setIn(spec.at, value);
    }
  }
  const parsed = engineSettingsSchema.safeParse(doc.toJS().engine ?? {});
  if (!parsed.success)
    throw new UserError(`engine: ${parsed.error.issues[0]?.message ?? 'invalid'}`, { file: PROJECT_FILE, path: 'engine' });
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, doc.toString(), 'utf8');
  await rename(tmp, file);
  project.settings.engine = parsed.data;
  return readEngineSettings(project);
}

function parseField(field: string, text: string, spec: (typeof FIELDS)[keyof typeof FIELDS]): number | string | undefined {
  const trimmed = text.trim();
  // An empty concurrency means the engine's default; the others mean "not set".
  if (trimmed === '') return field === 'concurrency' ? 4 : undefined;
  const place = { file: PROJECT_FILE, path: field };
  if (spec.isNumber && !/^-?\d+$/.test(trimmed)) throw new UserError(`${field} must be a whole number`, place);
  const value = spec.isNumber ? Number(trimmed) : trimmed;
  const checked = spec.schema.safeParse(value);
  if (!checked.success) throw new UserError(`${field} ${explainIssue(checked.error.issues[0])}`, place);
  return value;
}

/** `must be at least 1` rather than zod's `Too small: expected number to be >=1`. */
function explainIssue(issue: z.core.$ZodIssue | undefined): string {
  if (issue?.code === 'too_small') return `must be at least ${String(issue.minimum)}`;
  if (issue?.code === 'too_big') return `must be at most ${String(issue.maximum)}`;
  return `is invalid: ${issue?.message ?? 'unknown problem'}`;
}
