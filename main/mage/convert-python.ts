import { postgresConnectionName } from './convert-io-config.ts';
import { lineOf } from './import-types.ts';

/** What a Mage Python block file becomes. */
export interface PythonPlan {
  /** The decorated function Mage runs (config.function), and its decorator. */
  fn?: { name: string; decorator: string; line: number };
  /** Set when the file follows Mage's Postgres export template: a native export/postgres block replaces it. */
  postgresExport?: { config: Record<string, unknown>; line: number };
  /** Set when the file is Mage's Postgres loader template with a literal query: a native source/postgres block replaces it. */
  postgresLoad?: { config: Record<string, unknown>; line: number };
  /** Template calls the Python side cannot run (Postgres.load, BigQuery, GCS), with their line. */
  unsupported: { what: string; line: number }[];
}

const DECORATED = /^@(data_loader|transformer|data_exporter|custom|sensor|condition)\s*$(?:\n@.*$)*\n\s*def\s+([A-Za-z_]\w*)/m;

/** Reads what the importer needs from a Mage Python block's source, without running it. */
export function planPython(source: string): PythonPlan {
  const plan: PythonPlan = { unsupported: [] };
  const found = DECORATED.exec(source);
  if (found?.[1] && found[2]) plan.fn = { decorator: found[1], name: found[2], line: lineOf(source, found[0]) ?? 1 };
  // Mage's templates call `Postgres.with_config(…).export(…)` or `with Postgres.with_config(…) as loader: loader.export(…)`.
  const pgExport = /Postgres\.with_config\(/.test(source) ? /\.export\(/.exec(source) : null;
  if (pgExport) {
    const line = lineOf(source, pgExport[0]) ?? 1;
    const config = postgresExportConfig(source);
    // Only the bare template becomes a native block: code that changes the DataFrame first stays Python, and its
    // Postgres.export hands the data to Pipewright's exporter at run time.
    if (config && !changesFrame(source)) plan.postgresExport = { config, line };
  }
  const pgLoad = /Postgres\.with_config\(/.test(source) ? /\.load\(/.exec(source) : null;
  const query = pgLoad && !changesFrame(source) ? literalQuery(source) : undefined;
  if (pgLoad && query)
    plan.postgresLoad = { config: { connection: postgresConnectionName(profileOf(source)), query }, line: lineOf(source, pgLoad[0]) ?? 1 };
  for (const [pattern, what] of [
    ...(pgLoad && !query
      ? [[/\.load\(/, 'Postgres.load with a query that is not a string literal (use a source/postgres block)'] as const]
      : []),
    [/BigQuery\.with_config\((?=[\s\S]*\.load\()/, 'BigQuery.load (use a source/bigquery block)'],
    [/GoogleCloudStorage\.with_config\((?=[\s\S]*\.load\()/, 'GoogleCloudStorage.load (use a source/gcs block)'],
  ] as const) {
    const m = pattern.exec(source);
    if (m) plan.unsupported.push({ what, line: lineOf(source, m[0]) ?? 1 });
  }
  return plan;
}

/** Whether the file does more to the DataFrame than export it (assigns, filters or calls a method on it). */
function changesFrame(source: string): boolean {
  return source.split('\n').some((line) => /^\s+(df|data)\s*(=|\[|\.(?!columns\b))/.test(line) || /^\s+\w+\s*=\s*(df|data)\b/.test(line));
}

/** export/postgres settings from the template's `schema_name = '…'`, `table_name = '…'`, profile and if_exists. */
function postgresExportConfig(source: string): Record<string, unknown> | undefined {
  const literal = (name: string) => new RegExp(`^\\s*${name}\\s*=\\s*['"]([^'"]+)['"]`, 'm').exec(source)?.[1];
  const schema = literal('schema_name');
  const table = literal('table_name');
  if (!table) return undefined;
  const profile = profileOf(source);
  const ifExists = /if_exists\s*=\s*['"](replace|append|fail)['"]/.exec(source)?.[1] ?? 'replace';
  return { connection: postgresConnectionName(profile), ...(schema ? { schema } : {}), table, mode: ifExists };
}

/** The io_config profile the template names (`config_profile = 'dev'` or the loader's second argument). */
function profileOf(source: string): string {
  const assigned = /^\s*config_profile\s*=\s*['"]([^'"]+)['"]/m.exec(source)?.[1];
  return assigned ?? /ConfigFileLoader\([^)]*?,\s*['"]([^'"]+)['"]\s*\)/.exec(source)?.[1] ?? 'default';
}

/** `query = '…'` or `query = """…"""` in the template, when it is a plain string. */
function literalQuery(source: string): string | undefined {
  const triple = /^\s*query\s*=\s*(?:"""([\s\S]*?)"""|'''([\s\S]*?)''')/m.exec(source);
  const text = triple ? (triple[1] ?? triple[2]) : /^\s*query\s*=\s*(['"])((?:(?!\1).)+)\1/m.exec(source)?.[2];
  return text?.trim() || undefined;
}
