import type { Bucket } from '@google-cloud/storage';
import { UserError, type ErrorPlace } from '../model/errors.ts';
import { createStorageClient, type GcsSettings } from '../cloud/gcs-client.ts';
import { bucketNameProblem } from '../cloud/gcs-names.ts';
import { explainForbidden } from '../cloud/google-forbidden.ts';
import { bucketForbidden, canListObjects } from '../blocks/gcs-export.ts';
import { mergeCloudConnection } from '../connections/block-connection.ts';
import { fail, isUnreachable, messageOf, ok, skip, statusOf, warn, type CheckEnv, type CheckItem } from './check-types.ts';

/** The object permissions an export uses (https://cloud.google.com/storage/docs/access-control/iam-permissions). */
const EXPORT_PERMISSIONS = ['storage.objects.create', 'storage.objects.delete', 'storage.objects.get', 'storage.objects.list'];

/** A gcs export's bucket as the run will find it: credentials, project, bucket, permissions. Writes nothing. */
export async function checkGcsExport(
  env: CheckEnv,
  config: GcsSettings & { bucket: string; create_bucket: boolean },
): Promise<CheckItem[]> {
  const place: ErrorPlace = { block: env.block.id };
  const problem = bucketNameProblem(config.bucket);
  if (problem) return [fail('bucket name', `bucket "${config.bucket}" would be refused by Google: ${problem}`)];
  const opened = await openBucket(env, config, place);
  if ('item' in opened) return [opened.item];
  const { bucket, project } = opened;
  const items: CheckItem[] = [ok('credentials', `project ${project}`)];
  const found = await bucketState(bucket, config.create_bucket, project);
  items.push(found.item);
  if (found.exists) items.push(await permissions(bucket));
  return items;
}

/** The bucket's location for checks of a BigQuery load from it; undefined when it cannot be read. */
export async function bucketLocationFor(env: CheckEnv, config: GcsSettings & { bucket: string }): Promise<string | undefined> {
  const opened = await openBucket(env, config, { block: env.block.id });
  if ('item' in opened) return undefined;
  try {
    return (await opened.bucket.getMetadata())[0].location;
  } catch (error) {
    void error; // not readable (object roles only, or not created yet): the load job reports a real mismatch
    return undefined;
  }
}

async function openBucket(
  env: CheckEnv,
  config: GcsSettings & { bucket: string },
  place: ErrorPlace,
): Promise<{ bucket: Bucket; project: string } | { item: CheckItem }> {
  try {
    const settings = await mergeCloudConnection(env, 'gcs', config, place);
    const storage = await createStorageClient(settings, env.project.dir, place);
    return { bucket: storage.bucket(config.bucket), project: storage.projectId ?? '' };
  } catch (error) {
    if (error instanceof UserError) return { item: fail('credentials', error.message) };
    throw error;
  }
}

async function bucketState(bucket: Bucket, create: boolean, project: string): Promise<{ item: CheckItem; exists: boolean }> {
  try {
    const [meta] = await bucket.getMetadata();
    return { item: ok('bucket', `gs://${bucket.name} exists (location ${meta.location ?? 'unknown'})`), exists: true };
  } catch (error) {
    const status = statusOf(error);
    if (status === 404) {
      const item = create
        ? ok('bucket', `gs://${bucket.name} does not exist yet; the run creates it (create_bucket: true)`)
        : fail('bucket', `bucket ${bucket.name} does not exist (create it, or set create_bucket: true)`);
      return { item, exists: false };
    }
    if (status === 403) {
      if (await canListObjects(bucket))
        return {
          item: warn(
            'bucket',
            `gs://${bucket.name}: the credential cannot read the bucket's metadata (no storage.buckets.get) but can list its objects, which is enough`,
          ),
          exists: true,
        };
      return { item: fail('bucket', bucketForbidden(bucket, error)), exists: false };
    }
    if (isUnreachable(error)) return { item: warn('bucket', `could not reach GCS: ${messageOf(error)}`), exists: false };
    return { item: fail('bucket', `${explainForbidden(error, `bucket ${bucket.name}`, project)}`), exists: false };
  }
}

/** buckets.testIamPermissions: which object permissions the credential holds on the bucket. */
async function permissions(bucket: Bucket): Promise<CheckItem> {
  try {
    const [granted] = await bucket.iam.testPermissions(EXPORT_PERMISSIONS);
    const missing = EXPORT_PERMISSIONS.filter((p) => !granted[p]);
    if (missing.length === 0) return ok('permissions', EXPORT_PERMISSIONS.join(', '));
    return fail(
      'permissions',
      `the credential lacks ${missing.join(', ')} on bucket ${bucket.name}: grant roles/storage.objectAdmin on the bucket`,
    );
  } catch (error) {
    return skip('permissions', `testIamPermissions unavailable: ${messageOf(error)}`);
  }
}
