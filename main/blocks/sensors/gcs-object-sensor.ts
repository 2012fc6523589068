import { z } from 'zod';
import type { BlockKind } from '../../model/block-kind.ts';
import { raceAbort } from '../../model/abort.ts';
import { createStorageClient, gcsSettingsSchema } from '../../cloud/gcs-client.ts';
import { explainGcsError } from '../../cloud/gcs-export/object-transfer.ts';
import { pollFields, pollUntilFound } from './poll.ts';

const configSchema = gcsSettingsSchema.extend({
  bucket: z.string().min(1),
  /** The object's full name in the bucket, e.g. `landing/2020-10/_SUCCESS`. */
  object: z.string().min(1),
  ...pollFields,
});

/** Waits until an object exists in a GCS bucket (or the local emulator). A missing bucket means "not yet" too. */
export const gcsObjectSensor: BlockKind<z.infer<typeof configSchema>> = {
  type: 'sensor',
  kind: 'gcs_object',
  title: 'Wait for a GCS object',
  configSchema,
  code: 'none',
  async run(ctx, config) {
    const place = { block: ctx.block.id };
    const bucket = (await createStorageClient(config, ctx.project.dir, place)).bucket(config.bucket);
    const name = `gs://${config.bucket}/${config.object}`;
    return pollUntilFound(ctx, config, name, async (signal) => {
      try {
        const [exists] = await raceAbort(bucket.file(config.object).exists(), signal);
        return exists ? name : undefined;
      } catch (error) {
        if (signal.aborted) throw error;
        throw explainGcsError(error, config.bucket, place);
      }
    });
  },
};
