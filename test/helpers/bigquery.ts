import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BigQuery } from '@google-cloud/bigquery';
import { createBigQueryClient } from '../../main/cloud/bigquery-client.ts';
import { startBigQueryEmulator } from '../../main/cloud/bigquery-emulator/server.ts';
import type { FaultRule } from '../../main/cloud/bigquery-emulator/faults.ts';

/** A BigQuery emulator over a temp folder, an official client pointed at it, and its fault switch over HTTP. */
export interface BigQueryFixture {
  endpoint: string;
  dataDir: string;
  bigquery: BigQuery;
  /** Queues a fault rule through `/_emulator/faults`. */
  fault(rule: FaultRule): Promise<void>;
  /** Faults fired and requests received, by operation. */
  counts(): Promise<{ fired: Record<string, number>; pending: number; requests: Record<string, number> }>;
  /** Clears fault rules and counts. */
  resetFaults(): Promise<void>;
  close(): Promise<void>;
}

/** Starts the emulator (reading gs:// URIs from `gcsDataDir` when given); the client retries after ~1 s. */
export async function startBigQueryFixture(opts: { gcsDataDir?: string } = {}): Promise<BigQueryFixture> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'pw-bq-'));
  const emulator = await startBigQueryEmulator({ dataDir, ...(opts.gcsDataDir ? { gcsDataDir: opts.gcsDataDir } : {}) });
  const bigquery = await createBigQueryClient(
    { endpoint: emulator.endpoint, project_id: 'test-project', retry: { max_delay_seconds: 1 } },
    dataDir,
    {},
  );
  const control = `${emulator.endpoint}/_emulator/faults`;
  return {
    endpoint: emulator.endpoint,
    dataDir,
    bigquery,
    fault: async (rule) => {
      const response = await fetch(control, { method: 'POST', body: JSON.stringify(rule) });
      if (!response.ok) throw new Error(`fault rule refused: ${await response.text()}`);
    },
    counts: async () =>
      (await (await fetch(control)).json()) as { fired: Record<string, number>; pending: number; requests: Record<string, number> },
    resetFaults: async () => {
      await fetch(control, { method: 'DELETE' });
    },
    close: async () => {
      await emulator.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
