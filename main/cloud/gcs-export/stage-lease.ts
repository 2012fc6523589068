import { randomUUID } from 'node:crypto';
import type { Bucket } from '@google-cloud/storage';
import { OperationalError } from '../../model/errors.ts';
import { statusOf } from './object-transfer.ts';

/**
 * Liveness of staged uploads, across processes and machines, without a lock server.
 *
 * An export stages its objects under `_pipewright_staging/<run>/<block>/a<attempt>/`. Before it uploads anything it
 * writes a lease object beside that folder (`…/a<attempt>.lease`, created with `ifGenerationMatch: 0`) whose custom
 * metadata says whose stage it is (origin run, block) and until when it is live (`pipewright_expires_at`, the
 * writer's clock + the lease time). While the export runs, a heartbeat rewrites the lease every third of the lease
 * time, each rewrite conditional on the generation it last wrote; just before publishing it refreshes once more and
 * stops if the lease is gone. When done it removes its staged objects, then the lease.
 *
 * Any export to the bucket sweeps at its start (stage-sweep.ts): a stage whose lease has expired is dead — its
 * writer was killed or lost the network for longer than the lease time — and so is one of the same origin run and
 * block (a resume or retry only starts once that earlier attempt is over). The sweeper deletes the lease first,
 * conditional on the generation it judged expired: if the owner's heartbeat rewrote it meanwhile the delete fails
 * with 412 and the stage is kept. An owner that finds its lease rewritten or gone (412/404) has lost it and fails
 * the attempt before publishing anything, so a sweep never removes objects an export is about to publish.
 *
 * Clocks: expiry is compared with the sweeper's clock, so machines' clocks may disagree by less than the lease time
 * (10 minutes) without a live stage being taken for dead.
 */

export const LEASE_SUFFIX = '.lease';
const DEFAULT_LEASE_SECONDS = 600;
/** Test hook (test/gcs-stage-sweep.test.ts): a short lease, so an expired one can be observed without waiting minutes. */
export const LEASE_SECONDS_ENV = 'PIPEWRIGHT_TEST_GCS_LEASE_SECONDS';

/** Who owns a stage: the logical run (a resume's first run) and the block. */
export interface StageOwner {
  originRunId: string;
  blockId: string;
}

function leaseSeconds(): number {
  const fromEnv = Number(process.env[LEASE_SECONDS_ENV]);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_LEASE_SECONDS;
}

/** The lease object of a staging folder (`…/a1/` → `…/a1.lease`): outside the folder, so no staged name can collide. */
export function leaseNameOf(stageDir: string): string {
  return stageDir.replace(/\/+$/, '') + LEASE_SUFFIX;
}

/** A held lease on one staging folder, refreshed in the background until released. */
export class StageLease {
  private generation = '0';
  private expiresAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private lost: unknown;
  /** The last write queued; never rejects (each caller sees its own write's error). */
  private queue: Promise<void> = Promise.resolve();

  private constructor(
    private readonly bucket: Bucket,
    readonly name: string,
    private readonly owner: StageOwner,
    private readonly seconds: number,
  ) {}

  /** Writes the lease (it must not exist yet) and starts the heartbeat. */
  static async acquire(
    bucket: Bucket,
    stageDir: string,
    owner: StageOwner,
    onHeartbeatError: (error: unknown) => void,
  ): Promise<StageLease> {
    const lease = new StageLease(bucket, leaseNameOf(stageDir), owner, leaseSeconds());
    await lease.write();
    lease.timer = setInterval(() => lease.enqueueWrite().catch(onHeartbeatError), (lease.seconds * 1000) / 3);
    lease.timer.unref(); // the export's own work keeps the process alive, never the heartbeat
    return lease;
  }

  /** Refreshes now; rejects (retryable) when the lease was lost, so nothing is published from a swept stage. */
  async confirm(): Promise<void> {
    await this.enqueueWrite();
    if (Date.now() >= this.expiresAt) throw new OperationalError(`the staging lease ${this.name} expired before publishing`);
  }

  /** Stops the heartbeat and deletes the lease (call once the staged objects are gone). */
  async release(): Promise<void> {
    this.stop();
    await this.queue;
    if (this.lost !== undefined) return;
    try {
      await this.bucket.file(this.name).delete({ ifGenerationMatch: Number(this.generation) });
    } catch (error) {
      if (statusOf(error) !== 404 && statusOf(error) !== 412) throw error; // already swept: nothing left to release
    }
  }

  /** Stops the heartbeat, leaving the lease to expire (when staged objects could not be removed). */
  stop(): void {
    clearInterval(this.timer);
  }

  /** Writes after the writes already queued: two at once would race on the same generation and one would lose. */
  private enqueueWrite(): Promise<void> {
    const write = this.queue.then(() => this.write());
    this.queue = write.catch(() => undefined); // the caller of this write handles its error
    return write;
  }

  private async write(): Promise<void> {
    if (this.lost !== undefined) throw this.lostError();
    const expiresAt = Date.now() + this.seconds * 1000;
    const file = this.bucket.file(this.name);
    // Tells our own write from another's when a retried request whose first try landed answers 412.
    const writeId = randomUUID();
    try {
      await file.save(JSON.stringify({ ...this.owner, expiresAt: new Date(expiresAt).toISOString() }), {
        resumable: false,
        preconditionOpts: { ifGenerationMatch: Number(this.generation) },
        metadata: {
          contentType: 'application/json',
          metadata: {
            pipewright_origin: this.owner.originRunId,
            pipewright_block: this.owner.blockId,
            pipewright_expires_at: new Date(expiresAt).toISOString(),
            pipewright_write: writeId,
          },
        },
      });
      this.generation = String(file.metadata.generation);
    } catch (error) {
      if (statusOf(error) !== 412 && statusOf(error) !== 404) throw error;
      // A first write that answers 412 found a lease already there; later ones, a lease rewritten or swept.
      const ownGeneration = await this.generationOfWrite(writeId);
      if (ownGeneration === undefined) {
        this.lost = error;
        this.stop();
        throw this.lostError();
      }
      this.generation = ownGeneration;
    }
    this.expiresAt = expiresAt;
  }

  /** The lease's generation when it holds the write `writeId` (a retry's first try landed); else undefined. */
  private async generationOfWrite(writeId: string): Promise<string | undefined> {
    try {
      const [meta] = await this.bucket.file(this.name).getMetadata();
      return meta.metadata?.pipewright_write === writeId ? String(meta.generation) : undefined;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  private lostError(): OperationalError {
    return new OperationalError(`the staging lease ${this.name} was taken over (another export judged it expired): staging again`, {
      cause: this.lost,
    });
  }
}
