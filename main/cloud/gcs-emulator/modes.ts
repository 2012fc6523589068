import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { GoogleHttpError, parseJsonBody, readBody, sendJson } from '../http-util.ts';
import type { GcsOperation } from './faults.ts';

/**
 * Who is calling and what the project allows: the states of a real project that the exporter must explain
 * (https://cloud.google.com/storage/docs/json_api/v1/status-codes#403-forbidden,
 * https://cloud.google.com/storage/docs/buckets#naming — bucket names are global). Off by default.
 */
export const gcsModesSchema = z.strictObject({
  /** Bucket names that exist in another project: buckets.get answers 403, buckets.insert 409, object calls 403. */
  foreignBuckets: z.array(z.string()).default([]),
  /** IAM permissions the caller lacks, such as `storage.buckets.get` (a service account with object roles only). */
  deniedPermissions: z.array(z.string()).default([]),
  /** The Cloud Storage JSON API is disabled in the project. */
  apiDisabled: z.boolean().default(false),
  /** The project's billing account is closed: creating buckets and writing objects fail. */
  billingDisabled: z.boolean().default(false),
  /** The caller, as named in 403 messages. */
  principal: z.string().default('pipewright-test@test-project.iam.gserviceaccount.com'),
});
export type GcsModes = z.infer<typeof gcsModesSchema>;

export const MODES_PATH = '/_emulator/modes';

/** The permission each operation needs (https://cloud.google.com/storage/docs/access-control/iam-json). */
const PERMISSIONS: Record<GcsOperation, string | undefined> = {
  'buckets.insert': 'storage.buckets.create',
  'buckets.get': 'storage.buckets.get',
  'buckets.list': 'storage.buckets.list',
  'buckets.delete': 'storage.buckets.delete',
  'buckets.testIamPermissions': undefined,
  'objects.insert': 'storage.objects.create',
  'objects.uploadChunk': 'storage.objects.create',
  'objects.get': 'storage.objects.get',
  'objects.download': 'storage.objects.get',
  'objects.list': 'storage.objects.list',
  'objects.delete': 'storage.objects.delete',
  'objects.rewrite': 'storage.objects.create',
};

const WRITES = new Set<GcsOperation>(['buckets.insert', 'objects.insert', 'objects.uploadChunk', 'objects.rewrite']);

/** The 403 (or 409) a real project in these modes answers, or nothing when the request may proceed. */
export function refusal(modes: GcsModes, operation: GcsOperation, bucket: string, project: string): GoogleHttpError | undefined {
  if (modes.apiDisabled) {
    return new GoogleHttpError(
      403,
      'accessNotConfigured',
      `Cloud Storage JSON API has not been used in project ${project} before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/storage-api.googleapis.com/overview?project=${project} then retry.`,
    );
  }
  if (modes.billingDisabled && WRITES.has(operation)) {
    return new GoogleHttpError(403, 'accountDisabled', 'The billing account for the owning project is disabled in state closed');
  }
  const permission = PERMISSIONS[operation];
  if (!permission) return undefined;
  if (bucket && modes.foreignBuckets.includes(bucket)) {
    if (operation === 'buckets.insert') {
      return new GoogleHttpError(
        409,
        'conflict',
        'The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.',
      );
    }
    return denied(modes.principal, permission, 'bucket');
  }
  if (modes.deniedPermissions.includes(permission)) {
    return denied(modes.principal, permission, operation === 'buckets.list' || operation === 'buckets.insert' ? 'project' : 'bucket');
  }
  return undefined;
}

/** Permissions of `asked` the caller holds on `bucket` (buckets.testIamPermissions). */
export function grantedPermissions(modes: GcsModes, bucket: string, asked: string[]): string[] {
  if (modes.foreignBuckets.includes(bucket)) return [];
  return asked.filter((p) => !modes.deniedPermissions.includes(p));
}

function denied(principal: string, permission: string, on: 'bucket' | 'project'): GoogleHttpError {
  const resource = on === 'bucket' ? 'the Google Cloud Storage bucket' : 'the Google Cloud project';
  return new GoogleHttpError(
    403,
    'forbidden',
    `${principal} does not have ${permission} access to ${resource}. Permission '${permission}' denied on resource (or it may not exist).`,
  );
}

/** `GET /_emulator/modes` answers the modes; `POST` sets the fields given; `DELETE` turns every mode off. */
export async function handleModes(state: { modes: GcsModes }, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readBody(req);
  if (req.method === 'POST') {
    const parsed = gcsModesSchema.partial().safeParse(parseJsonBody(body));
    if (!parsed.success)
      throw new GoogleHttpError(
        400,
        'invalid',
        `bad modes: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    state.modes = { ...state.modes, ...stripUndefined(parsed.data) };
  } else if (req.method === 'DELETE') {
    state.modes = gcsModesSchema.parse({});
  } else if (req.method !== 'GET') {
    throw new GoogleHttpError(405, 'invalid', `${req.method} is not supported on ${MODES_PATH}`);
  }
  sendJson(res, 200, state.modes);
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
