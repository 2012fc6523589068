import { postgresConnectionName } from './convert-io-config.ts';
import { planHttpCsv } from './convert-http-csv.ts';
import { planParquetDataset, type DatasetPlan } from './convert-parquet-dataset.ts';
import { quoteIdent } from '../data/sql-names.ts';
import { planPython } from './convert-python.ts';
import { rewriteSql } from './convert-sql.ts';
import { lineOf, safeId, type ImportLog } from './import-types.ts';

/** A block of a Mage pipeline's metadata.yaml, as far as the importer reads it. */
export interface MageBlock {
  uuid: string;
  type: string;
  language: string;
  upstream: string[];
  configuration: Record<string, unknown>;
  retry_config?: Record<string, unknown>;
  timeout?: unknown;
  /** Whether another block of the pipeline reads this one. */
  hasDownstream: boolean;
  /** Line of the block in metadata.yaml. */
  line?: number;
}

/** What the converter needs from the Mage project. */
export interface MageSource {
  /** The file's text, or undefined when it does not exist. */
  read(rel: string): Promise<string | undefined>;
  /** Syntax errors of Python files (relative path → message and line), from one `python3 -m ast` pass. */
  syntax: Map<string, { message: string; line: number }>;
  connections: Set<string>;
}

const FOLDERS: Record<string, string> = {
  data_loader: 'data_loaders',
  transformer: 'transformers',
  data_exporter: 'data_exporters',
  custom: 'custom',
  sensor: 'sensors',
  conditional: 'conditionals',
  callback: 'callbacks',
};
const EXTENSIONS: Record<string, string> = { python: 'py', sql: 'sql', r: 'r', yaml: 'yaml' };
/** Blocks that only document or chart: Mage does not run them in a pipeline run. */
const NOT_RUN = new Set(['scratchpad', 'markdown', 'chart', 'global_data_product', 'extension']);

/** The Pipewright blocks (usually one) a Mage block becomes; empty when it cannot run here. */
export async function convertBlock(
  block: MageBlock,
  pipeline: string,
  src: MageSource,
  log: ImportLog,
): Promise<Record<string, unknown>[]> {
  const where = { pipeline, subject: block.uuid, file: `pipelines/${pipeline}/metadata.yaml`, line: block.line };
  if (NOT_RUN.has(block.type)) {
    log.add({ ...where, outcome: 'skipped', reason: `${block.type} blocks do not run in a pipeline` });
    return [];
  }
  if (!FOLDERS[block.type] || block.type === 'callback' || block.type === 'conditional') {
    log.add({ ...where, outcome: 'attention', reason: `unknown block type '${block.type}': not imported` });
    return [];
  }
  const rel = blockFile(block);
  const text = rel ? await src.read(rel) : undefined;
  if (!rel || text === undefined) {
    log.add({
      ...where,
      outcome: 'attention',
      reason: `block file ${rel ?? `${FOLDERS[block.type]}/${block.uuid}.*`} not found: not imported`,
    });
    return [];
  }
  if (block.type === 'sensor') return convertSensor(block, pipeline, rel, text, src, log);
  if (block.language === 'sql') return convertSql(block, pipeline, rel, text, log);
  if (block.language === 'python') return convertPython(block, pipeline, rel, text, src, log);
  log.add({
    pipeline,
    subject: block.uuid,
    outcome: 'attention',
    reason: `${block.language} blocks are not supported: not imported`,
    file: rel,
  });
  return [];
}

function blockFile(block: MageBlock): string | undefined {
  const c = block.configuration;
  const fromSource = (c.file_source as { path?: unknown } | undefined)?.path;
  const given = typeof c.file_path === 'string' ? c.file_path : typeof fromSource === 'string' ? fromSource : undefined;
  // Newer Mage versions write paths as `<project>/data_loaders/x.py`: keep the part from the block folder on.
  if (given) return given.replace(/^.*?(?=(data_loaders|transformers|data_exporters|custom|sensors)\/)/, '');
  const ext = EXTENSIONS[block.language];
  return ext ? `${FOLDERS[block.type]}/${block.uuid}.${ext}` : undefined;
}

/** Retry, timeout, dynamic and reduce: what every kind of block carries over. */
function common(block: MageBlock): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const retry = pickRetry(block.retry_config);
  if (retry) out.retry = retry;
  if (typeof block.timeout === 'number' && block.timeout > 0) out.timeout = block.timeout;
  if (block.configuration.dynamic === true) out.dynamic = true;
  if (block.configuration.reduce_output === true) out.reduce = true;
  return out;
}

/** Mage's retry_config keys are ours (retries, delay, max_delay, exponential_backoff). */
export function pickRetry(raw: unknown): Record<string, unknown> | undefined {
  if (!raw || typeof raw !== 'object') return undefined;
  const r = raw as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key of ['retries', 'delay', 'max_delay']) if (typeof r[key] === 'number') out[key] = r[key];
  if (typeof r.exponential_backoff === 'boolean') out.exponential_backoff = r.exponential_backoff;
  return Object.keys(out).length > 0 ? out : undefined;
}

function convertPython(
  block: MageBlock,
  pipeline: string,
  rel: string,
  text: string,
  src: MageSource,
  log: ImportLog,
): Record<string, unknown>[] {
  const id = safeId(block.uuid);
  const upstream = block.upstream.map(safeId);
  const plan = planPython(text);
  const entry = { pipeline, subject: block.uuid, file: rel };
  if (plan.postgresExport && block.type === 'data_exporter' && upstream.length === 1) {
    const { config, line } = plan.postgresExport;
    log.write(`blocks/mage/${id}.py`, text);
    const known = src.connections.has(String(config.connection));
    log.add({
      ...entry,
      line,
      outcome: known ? 'native' : 'attention',
      reason: `export/postgres ${[config.schema, config.table].filter(Boolean).join('.')} (${String(config.mode)}) on connection ${String(config.connection)}${known ? '' : ', which io_config.yaml does not define'}; original kept at blocks/mage/${id}.py`,
    });
    return [{ id, type: 'export', kind: 'postgres', upstream, config, ...common(block) }];
  }
  if (plan.postgresLoad && upstream.length === 0) {
    const { config, line } = plan.postgresLoad;
    log.write(`blocks/mage/${id}.py`, text);
    log.add({
      ...entry,
      line,
      outcome: 'native',
      reason: `source/postgres: the query runs in Postgres (connection ${String(config.connection)}); original kept at blocks/mage/${id}.py`,
    });
    return [{ id, type: 'source', kind: 'postgres', config, ...common(block) }];
  }
  const dataset = block.type === 'data_exporter' && upstream.length === 1 ? planParquetDataset(text) : undefined;
  if (dataset) return convertDataset(block, dataset, upstream[0] ?? '', text, src, log, entry);
  const httpCsv = block.type === 'data_loader' && upstream.length === 0 ? planHttpCsv(text) : undefined;
  if (httpCsv) {
    log.write(`blocks/mage/${id}.py`, text);
    log.add({
      ...entry,
      line: httpCsv.line,
      outcome: 'native',
      reason: `source/http_file (csv${httpCsv.config.columns ? `, ${Object.keys(httpCsv.config.columns).length} typed columns` : ''}); original kept at blocks/mage/${id}.py`,
    });
    return [{ id, type: 'source', kind: 'http_file', config: httpCsv.config, ...common(block) }];
  }
  log.write(`blocks/${id}.py`, text);
  const role = pythonRole(block, upstream.length);
  const out = {
    id,
    type: role,
    kind: 'python',
    file: `blocks/${id}.py`,
    upstream,
    config: plan.fn ? { function: plan.fn.name } : {},
    ...common(block),
  };
  const syntax = src.syntax.get(rel);
  const problems = [
    ...(syntax ? [{ what: syntax.message, line: syntax.line }] : []),
    ...(plan.fn ? [] : [{ what: `no @${block.type} function found`, line: 1 }]),
    ...plan.unsupported.map((u) => ({ what: `${u.what} does not run inside Python blocks`, line: u.line })),
    ...(block.type === 'custom' && role !== 'export'
      ? [{ what: `a custom block runs as a ${role}: it must return a DataFrame`, line: plan.fn?.line ?? 1 }]
      : []),
  ];
  const [first] = problems;
  if (first)
    log.add({ ...entry, line: first.line, outcome: 'attention', reason: `kept as Python; ${problems.map((p) => p.what).join('; ')}` });
  else
    log.add({
      ...entry,
      line: plan.fn?.line,
      outcome: 'python',
      reason: `python ${role}, @${plan.fn?.decorator} ${plan.fn?.name}${dynamicNote(block)}${handsOff(text)}`,
    });
  return [out];
}

/** A Mage @sensor block becomes a sensor/python block that calls its function until it returns True. */
function convertSensor(
  block: MageBlock,
  pipeline: string,
  rel: string,
  text: string,
  src: MageSource,
  log: ImportLog,
): Record<string, unknown>[] {
  const id = safeId(block.uuid);
  const entry = { pipeline, subject: block.uuid, file: rel };
  if (block.language !== 'python') {
    log.add({ ...entry, outcome: 'attention', reason: `${block.language} sensors are not supported: not imported` });
    return [];
  }
  log.write(`blocks/${id}.py`, text);
  const plan = planPython(text);
  const syntax = src.syntax.get(rel);
  const problem = syntax
    ? { what: syntax.message, line: syntax.line }
    : plan.fn?.decorator !== 'sensor'
      ? { what: 'no @sensor function found', line: 1 }
      : undefined;
  if (problem) log.add({ ...entry, line: problem.line, outcome: 'attention', reason: `kept as a Python sensor; ${problem.what}` });
  else
    log.add({
      ...entry,
      line: plan.fn?.line,
      outcome: 'python',
      reason: `sensor/python: calls @sensor ${plan.fn?.name} every 30 s until it returns True (at most an hour: interval_seconds, timeout_seconds)`,
    });
  const upstreamNote = block.upstream.length > 0 ? { description: `waited after ${block.upstream.join(', ')} in Mage` } : {};
  return [
    {
      id,
      type: 'sensor',
      kind: 'python',
      file: `blocks/${id}.py`,
      config: plan.fn ? { function: plan.fn.name } : {},
      ...upstreamNote,
      ...common(block),
    },
  ];
}

/**
 * `pq.write_to_dataset(…, partition_cols=[…])` in the course's shape → a native partitioned Parquet export (export/gcs
 * or export/local_file), after a SQL block that derives the template's `.dt.date` columns when it has any.
 */
function convertDataset(
  block: MageBlock,
  plan: DatasetPlan,
  upstream: string,
  text: string,
  src: MageSource,
  log: ImportLog,
  entry: { pipeline: string; subject: string; file: string },
): Record<string, unknown>[] {
  const id = safeId(block.uuid);
  log.write(`blocks/mage/${id}.py`, text);
  const blocks: Record<string, unknown>[] = [];
  let input = upstream;
  if (plan.derived.length > 0) {
    input = safeId(`${block.uuid}_dates`).slice(0, 63);
    const columns = plan.derived.map((d) => `CAST(${quoteIdent(d.from)} AS DATE) AS ${quoteIdent(d.column)}`);
    log.write(
      `blocks/${input}.sql`,
      `-- From ${entry.file}: ${plan.derived.map((d) => `data['${d.column}'] = data['${d.from}'].dt.date`).join('; ')}\nSELECT *, ${columns.join(', ')}\nFROM ${upstream}\n`,
    );
    blocks.push({ id: input, type: 'transform', kind: 'sql', file: `blocks/${input}.sql`, upstream: [upstream] });
  }
  const gcsConnections = [...src.connections].filter((c) => c.endsWith('_gcs'));
  const connection = gcsConnections.includes('default_gcs') ? 'default_gcs' : gcsConnections[0];
  const config =
    plan.target === 'gcs'
      ? { bucket: plan.bucket, path: plan.path, partition_by: plan.partitionBy, format: 'parquet', ...(connection ? { connection } : {}) }
      : { path: plan.path, partition_by: plan.partitionBy, format: 'parquet' };
  blocks.push({ id, type: 'export', kind: plan.target === 'gcs' ? 'gcs' : 'local_file', upstream: [input], config, ...common(block) });
  const where =
    plan.target === 'gcs'
      ? `export/gcs gs://${plan.bucket}/${plan.path}${connection ? ` (connection ${connection})` : ' (Application Default Credentials, as the template used)'}`
      : `export/local_file ${plan.path}`;
  const dates = plan.derived.length > 0 ? `; ${plan.derived.map((d) => d.column).join(', ')} derived by SQL block ${input}` : '';
  log.add({
    ...entry,
    line: plan.line,
    outcome: 'native',
    reason: `${where}, Parquet partitioned by ${plan.partitionBy.join(', ')} in col=value folders as write_to_dataset writes them${dates}; each run replaces the dataset (write_to_dataset added files beside earlier runs'); original kept at blocks/mage/${id}.py`,
  });
  return blocks;
}

function pythonRole(block: MageBlock, upstreamCount: number): 'source' | 'transform' | 'export' {
  // A custom block nothing reads runs as an export: Mage lets it return nothing.
  if (block.type === 'data_exporter' || (block.type === 'custom' && upstreamCount > 0 && !block.hasDownstream)) return 'export';
  return upstreamCount === 0 ? 'source' : 'transform';
}

function convertSql(block: MageBlock, pipeline: string, rel: string, text: string, log: ImportLog): Record<string, unknown>[] {
  const id = safeId(block.uuid);
  const c = block.configuration;
  const provider = typeof c.data_provider === 'string' ? c.data_provider : 'duckdb';
  const profile = typeof c.data_provider_profile === 'string' ? c.data_provider_profile : 'default';
  const upstream = block.upstream.map(safeId);
  const { sql, problems } = rewriteSql(text, block.upstream);
  log.write(`blocks/${id}.sql`, sql);
  const entry = { pipeline, subject: block.uuid, file: rel };
  const blocks: Record<string, unknown>[] = [];
  let reason: string;
  if (upstream.length === 0 && provider === 'postgres') {
    blocks.push({
      id,
      type: 'source',
      kind: 'postgres',
      file: `blocks/${id}.sql`,
      config: { connection: postgresConnectionName(profile) },
      ...common(block),
    });
    reason = `source/postgres: the query runs in Postgres (connection ${postgresConnectionName(profile)}), as in Mage`;
  } else if (upstream.length === 0 && provider === 'bigquery') {
    blocks.push({
      id,
      type: 'source',
      kind: 'bigquery',
      file: `blocks/${id}.sql`,
      config: { connection: safeId(`${profile}_bigquery`) },
      ...common(block),
    });
    reason = `source/bigquery: the query runs in BigQuery (connection ${safeId(`${profile}_bigquery`)}), as in Mage`;
  } else {
    blocks.push({
      id,
      type: upstream.length === 0 ? 'source' : 'transform',
      kind: 'sql',
      file: `blocks/${id}.sql`,
      upstream,
      ...common(block),
    });
    reason = `SQL in DuckDB over upstream outputs${provider === 'duckdb' ? '' : ` (in Mage it ran in ${provider})`}`;
  }
  const table = typeof c.data_provider_table === 'string' ? c.data_provider_table : undefined;
  if (table && provider === 'postgres' && upstream.length > 0) {
    const mode = ['append', 'replace', 'fail'].includes(String(c.export_write_policy)) ? String(c.export_write_policy) : 'append';
    const schema = typeof c.data_provider_schema === 'string' ? c.data_provider_schema : undefined;
    blocks.push({
      id: safeId(`${block.uuid}_to_postgres`).slice(0, 63),
      type: 'export',
      kind: 'postgres',
      upstream: [id],
      config: { connection: postgresConnectionName(profile), ...(schema ? { schema } : {}), table, mode },
    });
    reason += `; its result exported to ${[schema, table].filter(Boolean).join('.')} (${mode}) by block ${id}_to_postgres`;
  }
  if (c.use_raw_sql === true) problems.push({ what: 'use_raw_sql: Pipewright runs the SQL as a SELECT', line: 1 });
  const [first] = problems;
  if (first) log.add({ ...entry, line: first.line, outcome: 'attention', reason: `${reason}; ${problems.map((p) => p.what).join('; ')}` });
  else log.add({ ...entry, line: lineOf(text, /\S/) ?? 1, outcome: 'native', reason });
  return blocks;
}

/** Which mage_ai.io exports in the file Pipewright's exporters will load, for the report. */
function handsOff(text: string): string {
  const classes = ['Postgres', 'GoogleCloudStorage', 'BigQuery'].filter((c) => new RegExp(`${c}\\.with_config\\(`).test(text));
  return classes.length > 0 && /\.export\(/.test(text) ? `; ${classes.join(', ')}.export handed to Pipewright's exporter` : '';
}

/** How a dynamic block and its children run here, for the report. */
function dynamicNote(block: MageBlock): string {
  if (block.configuration.dynamic === true) return '; dynamic: its [items, metadata] fan out the blocks it feeds, one child per item';
  return block.configuration.reduce_output === true ? "; reduce_output: its children's outputs are unioned into one table" : '';
}
