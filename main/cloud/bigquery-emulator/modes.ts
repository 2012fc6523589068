import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { GoogleHttpError, parseJsonBody, readBody, sendJson } from '../http-util.ts';
import type { BigQueryOperation } from './faults.ts';

/**
 * Project states the exporter must explain, off by default
 * (https://cloud.google.com/bigquery/docs/error-messages, https://cloud.google.com/bigquery/docs/access-control).
 */
export const bigQueryModesSchema = z.strictObject({
  /** IAM permissions the caller lacks, such as `bigquery.jobs.create` or `bigquery.datasets.create`. */
  deniedPermissions: z.array(z.string()).default([]),
  /** The BigQuery API is disabled in the project. */
  apiDisabled: z.boolean().default(false),
});
export type BigQueryModes = z.infer<typeof bigQueryModesSchema>;

export const MODES_PATH = '/_emulator/modes';

/** The permission each method needs, and the resource it is checked on. */
const PERMISSIONS: Partial<Record<BigQueryOperation, { permission: string; on: 'project' | 'dataset' | 'table' }>> = {
  'datasets.insert': { permission: 'bigquery.datasets.create', on: 'project' },
  'datasets.get': { permission: 'bigquery.datasets.get', on: 'dataset' },
  'datasets.delete': { permission: 'bigquery.datasets.delete', on: 'dataset' },
  'tables.insert': { permission: 'bigquery.tables.create', on: 'dataset' },
  'tables.get': { permission: 'bigquery.tables.get', on: 'table' },
  'tables.list': { permission: 'bigquery.tables.list', on: 'dataset' },
  'tables.delete': { permission: 'bigquery.tables.delete', on: 'table' },
  'tabledata.list': { permission: 'bigquery.tables.getData', on: 'table' },
  'jobs.insert': { permission: 'bigquery.jobs.create', on: 'project' },
  'jobs.upload': { permission: 'bigquery.jobs.create', on: 'project' },
  'jobs.query': { permission: 'bigquery.jobs.create', on: 'project' },
};

/** The 403 a project in these modes answers for a request (`projects/P/datasets/D/tables/T…` segments), if any. */
export function refusal(modes: BigQueryModes, operation: BigQueryOperation, segments: string[]): GoogleHttpError | undefined {
  const project = segments[1] ?? '';
  if (modes.apiDisabled) {
    return new GoogleHttpError(
      403,
      'accessNotConfigured',
      `BigQuery API has not been used in project ${project} before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/bigquery.googleapis.com/overview?project=${project} then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry.`,
    );
  }
  const needed = PERMISSIONS[operation];
  if (!needed || !modes.deniedPermissions.includes(needed.permission)) return undefined;
  const { permission, on } = needed;
  if (on === 'project')
    return new GoogleHttpError(
      403,
      'accessDenied',
      `Access Denied: Project ${project}: User does not have ${permission} permission in project ${project}.`,
    );
  const dataset = `${project}:${segments[3] ?? ''}`;
  if (on === 'dataset')
    return new GoogleHttpError(
      403,
      'accessDenied',
      `Access Denied: Dataset ${dataset}: Permission ${permission} denied on dataset ${dataset} (or it may not exist).`,
    );
  const table = `${dataset}.${segments[5] ?? ''}`;
  return new GoogleHttpError(
    403,
    'accessDenied',
    `Access Denied: Table ${table}: Permission ${permission} denied on table ${table} (or it may not exist).`,
  );
}

/** `GET /_emulator/modes` answers the modes; `POST` sets the fields given; `DELETE` turns every mode off. */
export async function handleModes(state: { modes: BigQueryModes }, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req);
  if (req.method === 'POST') {
    const parsed = bigQueryModesSchema.partial().safeParse(parseJsonBody(body));
    if (!parsed.success)
      throw new GoogleHttpError(
        400,
        'invalid',
        `bad modes: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    state.modes = { ...state.modes, ...Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined)) };
  } else if (req.method === 'DELETE') {
    state.modes = bigQueryModesSchema.parse({});
  } else if (req.method !== 'GET') {
    throw new GoogleHttpError(405, 'invalid', `${req.method} is not supported on ${MODES_PATH}`);
  }
  sendJson(res, 200, state.modes);
}
