import type { Bucket, File } from '@google-cloud/storage';
import { deleteIfUnchanged, mapPooled, statusOf } from './object-transfer.ts';
import { LEASE_SUFFIX, type StageOwner } from './stage-lease.ts';

/**
 * Staged objects whose lease is missing are dead only when this old: a listing is not a snapshot, so it can show a
 * live export's objects without the lease written just before them (see stage-lease.ts for the lease itself).
 */
const UNLEASED_GRACE_MS = 60 * 60 * 1000;

/** One staging folder found in the bucket: its lease (if listed) and its objects. */
interface Stage {
  dir: string;
  lease?: File;
  objects: File[];
}

/**
 * Removes the staged uploads of dead exports from the bucket (under `root`): a stage whose lease expired, one of
 * the same origin run and block as `self` (an earlier attempt of this export), and unleased leftovers older than an
 * hour. Live stages — fresh leases, whoever owns them — are kept. Resolves to the number of objects removed.
 */
export async function sweepDeadStages(
  bucket: Bucket,
  root: string,
  self: StageOwner & { stageDir: string },
  parallelism: number,
): Promise<number> {
  const [files] = await bucket.getFiles({ prefix: root });
  const now = Date.now();
  const dead = [...groupStages(files, root).values()].filter((stage) => stage.dir !== self.stageDir && isDead(stage, self, now));
  const never = new AbortController().signal; // a sweep is short and leaves nothing half done: it is not cancelled
  const removed = await mapPooled(dead, parallelism, never, async (stage) => {
    // The lease goes first, conditional on the generation judged dead: a heartbeat since then keeps the stage.
    if (stage.lease && !(await deleteLease(stage.lease))) return 0;
    await mapPooled(stage.objects, parallelism, never, (file) => deleteIfUnchanged(bucket, file.name, String(file.metadata.generation)));
    return stage.objects.length;
  });
  return removed.reduce((sum, n) => sum + n, 0);
}

/** Stages by folder (`<root><run>/<block>/a<attempt>/`), leases matched to the folders they name. */
function groupStages(files: File[], root: string): Map<string, Stage> {
  const stages = new Map<string, Stage>();
  const stageOf = (dir: string) => stages.get(dir) ?? stages.set(dir, { dir, objects: [] }).get(dir)!;
  for (const file of files) {
    const rest = file.name.slice(root.length);
    if (file.name.endsWith(LEASE_SUFFIX) && rest.split('/').length === 3) {
      stageOf(file.name.slice(0, -LEASE_SUFFIX.length) + '/').lease = file;
      continue;
    }
    const folder = /^[^/]+\/[^/]+\/[^/]+\//.exec(rest)?.[0];
    if (folder) stageOf(root + folder).objects.push(file);
  }
  return stages;
}

function isDead(stage: Stage, self: StageOwner, now: number): boolean {
  const meta = stage.lease?.metadata.metadata ?? {};
  if (stage.lease) {
    if (meta.pipewright_origin === self.originRunId && meta.pipewright_block === self.blockId) return true;
    const expiresAt = Date.parse(String(meta.pipewright_expires_at ?? ''));
    return Number.isNaN(expiresAt) || expiresAt < now;
  }
  const newest = Math.max(...stage.objects.map((f) => Date.parse(String(f.metadata.timeCreated ?? '')) || now));
  return newest < now - UNLEASED_GRACE_MS;
}

/** Deletes a lease if it is still the generation listed; false when its owner rewrote it meanwhile. */
async function deleteLease(lease: File): Promise<boolean> {
  try {
    await lease.delete({ ifGenerationMatch: Number(lease.metadata.generation) });
    return true;
  } catch (error) {
    if (statusOf(error) === 404) return true; // another sweep took it: its objects are fair game for both
    if (statusOf(error) === 412) return false;
    throw error;
  }
}
