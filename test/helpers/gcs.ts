import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Storage } from '@google-cloud/storage';
import { startGcsEmulator, type GcsEmulator } from '../../main/cloud/gcs-emulator/server.ts';

/** A GCS emulator on a free port over a temp folder, and an official client pointed at it. */
export interface GcsFixture {
  emulator: GcsEmulator;
  storage: Storage;
  root: string;
  close(): Promise<void>;
}

/** Starts the emulator; the client retries after ~1 s instead of 2–3 s (cloud-protocols.md §5.3). */
export async function startGcsFixture(): Promise<GcsFixture> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'pw-gcs-'));
  const emulator = await startGcsEmulator({ root });
  const storage = new Storage({
    apiEndpoint: emulator.url,
    projectId: 'test-project',
    retryOptions: { maxRetryDelay: 1, totalTimeout: 60 },
  });
  return {
    emulator,
    storage,
    root,
    close: async () => {
      await emulator.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
