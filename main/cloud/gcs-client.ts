import type { Storage, StorageOptions } from '@google-cloud/storage';
import type { z } from 'zod';
import type { ErrorPlace } from '../model/errors.ts';
import { connectionName, googleClientOptions, googleSettingsSchema, resolveProjectId, type GoogleSettings } from './google-settings.ts';
import { createFastCrc32c } from './gcs-export/crc32c.ts';

/**
 * How to reach GCS: inline in the block's config, or from a gcs/local_gcs profile of connections.yaml named by
 * `connection` (else `default_connections.gcs`), merged beneath the inline fields (main/connections/block-connection.ts).
 */
export const gcsSettingsSchema = googleSettingsSchema;
export type GcsSettings = z.infer<typeof gcsSettingsSchema>;
/** Settings after merging a connection, whose service-account key may come from a secret rather than a file. */
export type GcsClientSettings = GoogleSettings;

/**
 * A Storage client for these settings. With an endpoint it talks to that host only (no Google auth traffic: the
 * client skips auth for custom endpoints). The client library is imported here, on first use: loading it costs
 * ~300 ms and ~40 MB, which every CLI start and every run that uses no GCS block would otherwise pay.
 */
export async function createStorageClient(settings: GcsClientSettings, projectDir: string, place: ErrorPlace): Promise<Storage> {
  const { isAnonymous, ...shared } = googleClientOptions(settings, projectDir, place);
  const options: StorageOptions = {
    ...shared,
    projectId: await resolveProjectId(shared, place, connectionName(settings)),
    // A custom endpoint (regional or private) with real credentials must still send them: the client skips auth
    // for any non-default endpoint unless told otherwise (cloud-protocols.md §1.1).
    ...(shared.apiEndpoint && !isAnonymous ? { useAuthWithCustomEndpoint: true } : {}),
    // Same sums as the client's own CRC32C, ~10× faster: upload and download validation stay on (gcs-export/crc32c.ts).
    crc32cGenerator: createFastCrc32c,
  };
  const gcs = await import('@google-cloud/storage');
  return new gcs.Storage(options);
}
