import { forgetPublished, readKeptOutputs, readPublishedBlocks, recordPublished } from './kept-outputs.ts';
import { recordOutput } from './output-registry.ts';
import type { MetaSteps } from './meta-steps.ts';
import type { OutputHolds } from './output-holds.ts';

export interface PublishArgs {
  pipelineId: string;
  blockId: string;
  runId: string;
  physical: string;
  rows: number;
}

/** What publishing needs of the workspace. */
export interface PublishHost {
  steps: MetaSteps;
  holds: OutputHolds;
  /** Outputs kept per block, newest first. */
  keepOutputs: number;
  /** Drops an output no longer kept (table or file view); call inside `steps.exclusive`. */
  dropTable(physical: string): Promise<void>;
}

/**
 * Makes attempts' tables their blocks' latest outputs (view + metadata, one transaction). Publishes that arrive while
 * one commits share the next transaction (group commit): concurrent fan-out children pay one commit between them.
 */
export class GroupPublisher {
  /**
   * Per pipeline (read on its first publish), the blocks that may have kept outputs: a superset, since pruning never
   * removes ids. A block absent here has nothing older to drop, so its publish skips the scan of `_pw_meta.published`
   * that would otherwise cost each of 100,000 dynamic children time in proportion to all the others.
   */
  private readonly publishedBlocks = new Map<string, Set<string>>();
  /** Pipeline schemas a publish of this process created or found: the next publish need not ask DuckDB again. */
  private readonly pipelineSchemas = new Set<string>();
  /** Publishes waiting for the next group commit. */
  private readonly queue: { args: PublishArgs; resolve: () => void; reject: (error: unknown) => void }[] = [];

  constructor(private readonly host: PublishHost) {}

  /** Resolves once the publish committed and what it replaced beyond `keepOutputs` was dropped (or left to the sweep). */
  publish(args: PublishArgs): Promise<void> {
    const published = new Promise<void>((resolve, reject) => this.queue.push({ args, resolve, reject }));
    if (this.queue.length === 1) void this.host.steps.exclusive(() => this.flush());
    return published;
  }

  /** After a block of `pipelineId` is renamed: its published blocks are read again on the next publish. */
  forgetPipeline(pipelineId: string): void {
    this.publishedBlocks.delete(pipelineId);
  }

  /** Commits every queued publish in one transaction; if that fails, each alone, so one bad publish fails only itself. */
  private async flush(): Promise<void> {
    const { steps } = this.host;
    const batch = this.queue.splice(0);
    for (const pipelineId of new Set(batch.map(({ args }) => args.pipelineId))) {
      // Read before the batch commits, so its own blocks do not look published already; a failure here is reported by afterPublish.
      await this.publishedBlocksOf(pipelineId).catch(() => undefined);
    }
    const record = async (args: PublishArgs) => {
      await recordOutput(steps.conn, args, this.pipelineSchemas.has(args.pipelineId));
      await recordPublished(steps.conn, args);
    };
    const together =
      batch.length > 1
        ? await steps
            .inTransaction(async () => {
              for (const { args } of batch) await record(args);
            })
            .then(
              () => true,
              () => false,
            )
        : false;
    for (const { args, resolve, reject } of batch) {
      try {
        if (!together) await steps.inTransaction(() => record(args));
        this.pipelineSchemas.add(args.pipelineId);
        await this.afterPublish(args);
        resolve();
      } catch (error) {
        reject(error);
      }
    }
  }

  /** A committed publish: hold its table for the run, drop what is no longer kept. */
  private async afterPublish(args: PublishArgs): Promise<void> {
    const { steps, holds, keepOutputs } = this.host;
    // Downstream blocks of this run read this table even after a later run replaces it.
    holds.of(args.runId).add(args.physical);
    const published = await this.publishedBlocksOf(args.pipelineId);
    const hadOutputs = published.has(args.blockId);
    published.add(args.blockId);
    if (!hadOutputs) return;
    // Beyond the newest `keepOutputs`, outputs are no longer kept: dropped now, or by the sweep once no run holds them.
    for (const old of (await readKeptOutputs(steps.conn, args.pipelineId, args.blockId)).slice(keepOutputs)) {
      if (old.physical === args.physical) continue;
      await forgetPublished(steps.conn, old.physical);
      if (!holds.isHeld(old.physical)) await this.host.dropTable(old.physical);
    }
  }

  /** Blocks of `pipelineId` that may have kept outputs (see publishedBlocks); call inside `steps.exclusive`. */
  private async publishedBlocksOf(pipelineId: string): Promise<Set<string>> {
    let blocks = this.publishedBlocks.get(pipelineId);
    if (!blocks) this.publishedBlocks.set(pipelineId, (blocks = await readPublishedBlocks(this.host.steps.conn, pipelineId)));
    return blocks;
  }
}
