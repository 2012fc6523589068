import type { ProgressUnit } from '../../../main/model/run-events.ts';
import type { BlockSpec, LayoutFile, PipelineFile } from '../../../main/model/schema.ts';
import type { ColumnInfo } from '../../../main/model/workspace-types.ts';
import type { BlockStatus, LogLevel } from '../../../main/model/run-events.ts';

/** `pipelines.get` as the UI reads it. */
export interface PipelineView {
  id: string;
  /** Hash of pipeline.yaml + layout.json as loaded: the `expectedVersion` of the next edit. */
  version: string;
  spec: PipelineFile;
  layout: LayoutFile;
  blocks: (BlockSpec & { code: string | null })[];
}

/** `outputs.preview`: schema, total rows and one window as Arrow IPC bytes. */
export interface PreviewReply {
  columns: ColumnInfo[];
  totalRows: number;
  offset: number;
  ipc: Uint8Array;
}

/** What a node shows about its block's last (or current) run. */
export interface BlockRunState {
  status: BlockStatus | 'idle';
  rowsOut?: number;
  /** Bytes the block reported (a BigQuery block: bytes its job processed). */
  bytes?: number;
  durationMs?: number;
  error?: string;
  /** While running: the latest `block.progressed` (rate in units per second). */
  progress?: { phase: string; done: number; total?: number; unit: ProgressUnit; rate?: number };
  /** Tests, checks and drift of the last attempt: results that warned (severity warn) are not counted as failed. */
  tests?: { passed: number; failed: number; warned?: number };
  /** When its run started, in the window's event order (event-order.ts); absent for results read from history. */
  runSeq?: number;
}

export interface LogLine {
  id: string;
  at: number;
  blockId: string | null;
  level: LogLevel;
  message: string;
}
