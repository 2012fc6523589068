import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { UserError } from '../model/errors.ts';
import type { ColumnProfile, PreviewResult, PreviewWindow } from '../model/workspace-types.ts';
import { parseChildId } from '../model/child-ids.ts';
import { outputTableRef } from './sql-names.ts';
import { readRunOutputs } from './kept-outputs.ts';
import { readLatestPhysicals } from './output-registry.ts';
import { readChildOutput } from './child-outputs.ts';
import { readFileViews } from './file-views.ts';
import { previewQuery, previewTable } from './preview.ts';
import { profileRelation } from './profile.ts';
import { TrackedConnection } from './tracked-connection.ts';

/** The workspace's reads of stored outputs (previews, profiles, ad-hoc queries), each on a fresh connection in one snapshot. */
export class OutputReads {
  /** Connections of previews, profiles and queries under way. */
  private readonly readers = new Set<TrackedConnection>();

  constructor(
    private readonly instance: DuckDBInstance,
    /** The workspace's outputs that are file views (kept current by the workspace). */
    private readonly fileViews: ReadonlySet<string>,
    /** Outputs kept per block (named when a run's output is no longer stored). */
    private readonly keepOutputs: number,
  ) {}

  /** Schema, filtered row count and one window of a block's latest output, or a kept one of run `runId` (Arrow IPC), read in one snapshot. */
  preview(pipelineId: string, blockId: string, window: PreviewWindow, runId?: string): Promise<PreviewResult> {
    return this.withSnapshot(async (conn) => {
      const stored = await this.storedOutput(conn, pipelineId, blockId, runId);
      const fileView =
        !stored.isShared && this.fileViews.has(stored.physical)
          ? (await readFileViews(conn, [stored.physical])).get(stored.physical)
          : undefined;
      // A child's rows of a shared table are a subquery, without the table's rowid to break ties when sorting.
      return previewTable(conn, stored.relation, window, stored.isShared ? '' : 'rowid', fileView);
    });
  }

  /** Per-column profile of a block's latest output (nulls, approximate distinct, min/max, histogram). */
  profile(pipelineId: string, blockId: string): Promise<ColumnProfile[]> {
    return this.withSnapshot(async (conn) => profileRelation(conn, (await this.storedOutput(conn, pipelineId, blockId)).relation));
  }

  /** Ad-hoc SQL over the workspace (all latest outputs, schema-qualified), windowed like preview. */
  query(sql: string, window: { offset: number; limit: number }): Promise<PreviewResult> {
    return this.withSnapshot((conn) => previewQuery(conn, sql, window));
  }

  /** Runs a read-only query over the latest outputs (`<pipeline>.<block>`) in a snapshot; small results only (plans, counts). */
  readRows(sql: string): Promise<Record<string, unknown>[]> {
    return this.withSnapshot(async (conn) => (await conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[]);
  }

  /** Interrupts the reads under way and closes their connections. */
  async close(): Promise<void> {
    for (const reader of [...this.readers]) await reader.close();
  }

  /**
   * Where a block's latest output, or the one run `runId` published, is stored, read on `conn` (inside its snapshot):
   * its physical table or view, and the relation to read (a child's rows of a shared table are a subquery of it).
   */
  private async storedOutput(
    conn: DuckDBConnection,
    pipelineId: string,
    blockId: string,
    runId?: string,
  ): Promise<{ physical: string; relation: string; isShared: boolean }> {
    if (parseChildId(blockId)) {
      const child = await readChildOutput(conn, pipelineId, blockId, runId);
      if (child) return { physical: child.physical, relation: child.relation, isShared: child.relation !== outputTableRef(child.physical) };
      const which = runId === undefined ? '' : ` from run ${runId}`;
      throw new UserError(`the output of ${blockId}${which} is not stored (not run, failed, or no longer kept)`, { block: blockId });
    }
    const physical = await this.storedPhysical(conn, pipelineId, blockId, runId);
    return { physical, relation: outputTableRef(physical), isShared: false };
  }

  /** The physical name of a block's latest output, or of the one run `runId` published, read on `conn` (inside its snapshot). */
  private async storedPhysical(conn: DuckDBConnection, pipelineId: string, blockId: string, runId?: string): Promise<string> {
    if (runId !== undefined) {
      const kept = (await readRunOutputs(conn, pipelineId, runId)).find((o) => o.blockId === blockId);
      if (!kept)
        throw new UserError(
          `the output of ${blockId} from run ${runId} is no longer stored (retention.outputs_keep_last: ${this.keepOutputs})`,
          { block: blockId },
        );
      return kept.physical;
    }
    const physical = (await readLatestPhysicals(conn, pipelineId, [blockId])).get(blockId);
    if (physical === undefined) throw new UserError(`block ${blockId} has no stored output yet: run it first`, { block: blockId });
    return physical;
  }

  /** Runs read-only work on a fresh connection in one transaction: counts and windows agree even while runs publish. */
  private async withSnapshot<T>(work: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    const reader = new TrackedConnection(await this.instance.connect());
    this.readers.add(reader);
    try {
      return await reader.track(async () => {
        await reader.conn.run('BEGIN TRANSACTION');
        return work(reader.conn);
      });
    } finally {
      this.readers.delete(reader);
      await reader.close(); // closing the connection rolls the read-only transaction back
    }
  }
}
