import { z } from 'zod';
import { saveConnectionInput } from '../connections/connections-file.ts';
import { engineSettingsForm } from '../project/engine-settings-file.ts';

/** Params of the connections and settings screens' methods; contract.ts lists them among its methods. */

const name = z.string().min(1).max(63);

export const connectionsMethods = {
  /** Profiles of connections.yaml with each field's value or reference; secrets only as "set" or not, never their values. */
  'connections.list': z.strictObject({}),
  /**
   * Creates or edits a postgres, local_postgres, gcs, bigquery, local_gcs or local_bigquery profile, keeping the file's
   * comments; a typed password or pasted service-account key goes to the secret store and the file gets `{ secret: NAME }`.
   */
  'connections.save': saveConnectionInput,
  /** Removes a profile and the password the screen stored for it; refused for a project default. */
  'connections.delete': z.strictObject({ name }),
  /** Like `pipewright connections test`: reachability, authentication and server version; failures are in the result, not an error. */
  'connections.test': z.strictObject({ name }),
  /** pipewright.yaml's engine settings as text ('' = default) and where secrets are kept. */
  'settings.get': z.strictObject({}),
  /** Writes the engine settings; a bad field rejects with place.path naming it and nothing is written. */
  'settings.save': z.strictObject({ engine: engineSettingsForm }),
  /** Starts a run of only the blocks of `runId` that did not succeed (and those after them), with its variables; resolves like `runs.start`. */
  'runs.retryFailed': z.strictObject({ runId: z.string().min(1).max(200), via: z.enum(['app', 'cli']).default('app') }),
  /** The blocks of a run's pipeline with their upstream, if pipeline.yaml is unchanged since the run; else only the run's recorded blocks. */
  'runs.graph': z.strictObject({ runId: z.string().min(1).max(200) }),
} as const;

/** One block of a run's graph; `kind` and `type` are absent when drawn from the run's record alone. */
export interface RunGraphBlock {
  id: string;
  upstream: string[];
  kind?: string;
  type?: string;
}

/** A run's DAG: from the pipeline as it is when its file is unchanged since the run (same hash), else why not. */
export interface RunGraph {
  isCurrent: boolean;
  /** Why the current pipeline is not used (changed, deleted or broken). */
  note?: string;
  blocks: RunGraphBlock[];
}
