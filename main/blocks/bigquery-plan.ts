import type { ErrorPlace } from '../model/errors.ts';
import type { ExportPlan, PlanContext, SchemaDiff } from '../model/design-types.ts';
import type { ColumnInfo } from '../model/workspace-types.ts';
import { createBigQueryClient } from '../cloud/bigquery-client.ts';
import { mergeCloudConnection } from '../connections/block-connection.ts';
import { canonicalType, schemaDifferences, type BigQueryField } from '../cloud/bigquery-types.ts';
import { checkNames, datasetLocation, loadConfiguration, type BigQueryExportConfig } from './bigquery-export.ts';
import { schemaForColumns } from './bigquery-load-data.ts';
import { gcsExport } from './gcs-export.ts';

/**
 * The dry run of a BigQuery load: the job configuration it would send (built by the export's own
 * loadConfiguration), the dataset it would create, and the existing table's schema against the output's with what
 * the write disposition does about it. Nothing is uploaded and no job starts.
 */
export async function planBigQueryExport(ctx: PlanContext, inline: BigQueryExportConfig): Promise<ExportPlan> {
  const place: ErrorPlace = { block: ctx.block.id };
  checkNames(inline, place);
  const config = await mergeCloudConnection(ctx, 'bigquery', inline, place);
  const notes: string[] = [];
  const source =
    config.source === 'upload' ? uploadSource(ctx, config, place) : await gcsSource(ctx, config.source.from_gcs_block, place, notes);
  const bigquery = await createBigQueryClient(config, ctx.project.dir, place);
  const job = { load: loadConfiguration(bigquery.projectId, config, source.load) };
  const location = await datasetLocation(bigquery, config.dataset);
  if (location === undefined)
    notes.push(
      config.create_dataset
        ? `dataset ${config.dataset} does not exist: it would be created in ${config.location ?? "the bucket's location, else US"}`
        : `dataset ${config.dataset} does not exist and create_dataset is false: the load would fail`,
    );
  const schemaDiff = location === undefined ? undefined : await tableDiff(bigquery, config, source.schema);
  if (!ctx.columns) notes.push(`the columns of ${ctx.upstream} are unknown until it runs`);
  return {
    blockId: ctx.block.id,
    kind: 'export/bigquery',
    destination: `${bigquery.projectId}.${config.dataset}.${config.table}`,
    mode: config.write_disposition,
    ddl: [],
    job,
    ...(ctx.rows !== undefined ? { rows: ctx.rows } : {}),
    ...(source.partitions ? { partitions: source.partitions } : {}),
    ...(schemaDiff ? { schemaDiff } : {}),
    notes,
  };
}

interface PlannedSource {
  schema: BigQueryField[];
  load: Record<string, unknown>;
  partitions?: { name: string; rows: number }[];
}

function uploadSource(ctx: PlanContext, config: BigQueryExportConfig, place: ErrorPlace): PlannedSource {
  const schema = schemaForColumns(
    ctx.columns ?? [],
    { ...place, path: 'upstream' },
    config.timestamps === 'timestamp' ? 'TIMESTAMP' : 'DATETIME',
  );
  return { schema, load: { sourceFormat: 'PARQUET', schema: { fields: schema } } };
}

/** The objects the gcs block would write (its own plan), loaded with their hive folders typed back into columns. */
async function gcsSource(ctx: PlanContext, blockId: string, place: ErrorPlace, notes: string[]): Promise<PlannedSource> {
  const rendered = ctx.blockConfig(blockId);
  const parsed = gcsExport.configSchema.safeParse(rendered?.config);
  if (!rendered || rendered.kind !== gcsExport.kind || !parsed.success || !gcsExport.planExport) {
    notes.push(`from_gcs_block: ${blockId} is not a valid gcs export block of this pipeline`);
    return { schema: [], load: { sourceFormat: 'PARQUET' } };
  }
  const gcs = parsed.data;
  const planned = await gcsExport.planExport({ ...ctx, block: { ...ctx.block, id: blockId } }, gcs);
  const partitionBy = gcs.partition_by ?? [];
  const columns = ctx.columns ?? [];
  const inFiles = columns.filter((c) => !partitionBy.includes(c.name));
  const schema = schemaForColumns(
    inFiles,
    { ...place, path: 'config.source.from_gcs_block' },
    gcs.timestamps === 'timestamp' ? 'TIMESTAMP' : 'DATETIME',
  );
  const keys = partitionBy.map((name) => ({ name, type: hiveType(columns.find((c) => c.name === name)) }));
  const folder = gcs.path.replace(/\/+$/, '') + '/';
  const hive =
    keys.length > 0
      ? {
          hivePartitioningOptions: {
            mode: 'CUSTOM',
            sourceUriPrefix: `gs://${gcs.bucket}/${folder}${keys.map((k) => `{${k.name}:${k.type}}`).join('/')}`,
          },
        }
      : {};
  return {
    schema: [...schema, ...keys.map((k) => ({ name: k.name, type: k.type }))],
    load: { sourceFormat: 'PARQUET', sourceUris: planned.objects?.write ?? [], schema: { fields: schema }, ...hive },
    ...(planned.partitions ? { partitions: planned.partitions } : {}),
  };
}

/** How BigQuery's CUSTOM hive mode types a folder key, from the partition column's DuckDB type. */
function hiveType(column: ColumnInfo | undefined): string {
  const type = column?.type.toUpperCase() ?? '';
  if (type === 'DATE') return 'DATE';
  if (type.startsWith('TIMESTAMP')) return 'TIMESTAMP';
  if (/^(U?(TINY|SMALL|BIG)?INT(EGER)?|HUGEINT)$/.test(type)) return 'INTEGER';
  return 'STRING';
}

async function tableDiff(
  bigquery: Awaited<ReturnType<typeof createBigQueryClient>>,
  config: BigQueryExportConfig,
  schema: BigQueryField[],
): Promise<SchemaDiff> {
  const table = bigquery.dataset(config.dataset).table(config.table);
  const [exists] = await table.exists();
  if (!exists) return { targetExists: false, added: [], missing: [], retyped: [], policy: 'the table is created' };
  const [metadata] = (await table.getMetadata()) as [{ schema?: { fields?: BigQueryField[] }; numRows?: string }, ...unknown[]];
  const theirs = metadata.schema?.fields ?? [];
  const byName = new Map(theirs.map((f) => [f.name.toLowerCase(), f]));
  const ours = new Set(schema.map((f) => f.name.toLowerCase()));
  const added = schema.filter((f) => !byName.has(f.name.toLowerCase())).map((f) => ({ name: f.name, type: canonicalType(f.type) }));
  const missing = theirs.filter((f) => !ours.has(f.name.toLowerCase())).map((f) => ({ name: f.name, type: canonicalType(f.type) }));
  const retyped = schema.flatMap((f) => {
    const other = byName.get(f.name.toLowerCase());
    return other && canonicalType(other.type) !== canonicalType(f.type)
      ? [{ name: f.name, from: canonicalType(other.type), to: canonicalType(f.type) }]
      : [];
  });
  const differences = schemaDifferences(schema, theirs);
  const policy =
    config.write_disposition === 'truncate'
      ? `truncate: rows and schema replaced${differences.length ? ` (${differences.join('; ')})` : ''}`
      : config.write_disposition === 'append'
        ? differences.length
          ? `append: refused (${differences.join('; ')})`
          : 'append: same schema'
        : Number(metadata.numRows ?? 0) > 0
          ? `empty: refused, the table has ${metadata.numRows} rows`
          : 'empty: the table is empty';
  return { targetExists: true, added, missing, retyped, policy };
}
