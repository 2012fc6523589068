import { readAllKept } from './kept-outputs.ts';
import { readAllLatestPhysicals, readOutputTables } from './output-registry.ts';
import { dropStoredOutput, listStoredOutputs, type StoredOutput } from './stored-outputs.ts';
import { forgetUnkeptChildren } from './child-outputs.ts';
import { dropOutput, removeOrphanLinks } from './file-views.ts';
import type { MetaSteps } from './meta-steps.ts';
import type { OutputHolds } from './output-holds.ts';

/** What dropping outputs needs of the workspace. */
export interface DropsHost {
  steps: MetaSteps;
  holds: OutputHolds;
  /** The workspace's outputs that are file views: a dropped one is forgotten here. */
  fileViews: Set<string>;
  /** Where file views keep their linked files. */
  fileViewsDir: string;
}

/** Drops the workspace's outputs that are no longer kept, never one a run in flight holds. */
export class OutputDrops {
  constructor(private readonly host: DropsHost) {}

  /** Drops every output table that is neither some block's latest or kept output nor held by a run in flight. */
  async sweep(): Promise<void> {
    const { steps, holds, fileViews, fileViewsDir } = this.host;
    await steps.exclusive(async () => {
      const keep = new Set([...(await readAllLatestPhysicals(steps.conn)), ...(await readAllKept(steps.conn))]);
      const outputs = [...(await readOutputTables(steps.conn)), ...fileViews];
      for (const physical of outputs) {
        if (!keep.has(physical) && !holds.isHeld(physical)) await this.dropTable(physical);
      }
      await forgetUnkeptChildren(steps.conn);
      await removeOrphanLinks(fileViewsDir, keep, (physical) => holds.isHeld(physical));
    });
  }

  /** Drops an attempt's table (failed or cancelled attempt); a table that is some block's latest output is kept. */
  async discard(physical: string): Promise<void> {
    const { steps, holds } = this.host;
    await steps.exclusive(async () => {
      holds.forget(physical);
      if (!(await readAllLatestPhysicals(steps.conn)).has(physical)) await this.dropTable(physical);
    });
  }

  /** Lists every stored output (with its size) and drops the ones `choose` picks, except those a run in flight holds. */
  prune(choose: (outputs: StoredOutput[]) => StoredOutput[]): Promise<StoredOutput[]> {
    const { steps, holds, fileViews, fileViewsDir } = this.host;
    return steps.exclusive(async () => {
      const outputs = (await listStoredOutputs(steps.conn, fileViewsDir)).map((o) => ({ ...o, isHeld: holds.isHeld(o.physical) }));
      const chosen = choose(outputs).filter((o) => !holds.isHeld(o.physical));
      for (const output of chosen) {
        await steps.inTransaction(() => dropStoredOutput(steps.conn, output, fileViewsDir, fileViews.has(output.physical)));
        fileViews.delete(output.physical);
      }
      return chosen;
    });
  }

  /** Drops one output, table or file view (with its linked files); call inside `steps.exclusive`. */
  async dropTable(physical: string): Promise<void> {
    const { steps, fileViews, fileViewsDir } = this.host;
    await dropOutput(steps.conn, fileViewsDir, physical, fileViews.has(physical));
    fileViews.delete(physical);
  }
}
