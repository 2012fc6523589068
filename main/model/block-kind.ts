import type { z } from 'zod';
import type { BlockTestResult, LogLevel, ProgressUnit } from './run-events.ts';
import type { BlockType } from './schema.ts';
import type { LoadedBlock, Project } from './project.ts';
import type { BlockSession, ColumnInfo } from './workspace-types.ts';
import type { ResolvedConnection } from './connection-profile.ts';
import type { DesignContext, ExportPlan, PlanContext } from './design-types.ts';

export interface ProgressUpdate {
  phase: string;
  done: number;
  total?: number;
  unit: ProgressUnit;
}

/** Everything a block kind may use while it runs. The engine owns its lifetime. */
export interface BlockContext {
  project: Project;
  pipelineId: string;
  runId: string;
  /**
   * The logical run this work belongs to: a resume's or retry's first run (followed through resumes of resumes),
   * else runId. Exports key idempotency by it (with the block), so what a run loaded before it was killed is not
   * loaded again by its resume; a new run of the pipeline is a new origin and loads again.
   */
  originRunId: string;
  block: LoadedBlock;
  /**
   * The upstream blocks whose outputs `data` can read, in upstream order: an upstream export has no output, so it
   * only orders this block. Absent in contexts built by hand (tests), where every upstream block is an input.
   */
  inputs?: readonly string[];
  /** The upstream blocks as loaded (a pushed-down block compiles their names to their warehouse tables). */
  upstreamBlocks?: readonly LoadedBlock[];
  /**
   * Set when exactly one block reads this block's output, a DuckDB SQL block not fanned out, and nothing else scans it (no tests,
   * checks, drift or condition over it): a file source may then publish a view over its file, parsed once, by that block.
   */
  isReadOnceBySql?: boolean;
  /**
   * Set when this DuckDB SQL block's only reader is a file export of this run that can take its rows as they are
   * computed (a Parquet file or folder, replaced): the block writes the export's files, staged beside its target, and
   * its own output becomes a view over private links to them (one pass instead of a table and then the files). The
   * export publishes the staged files once this block's tests, checks and drift passed. Undefined: write a table.
   */
  fileSink?: FileSink;
  /** An export whose upstream already wrote its files (see fileSink): it only puts them in place. */
  stagedFiles?: StagedFiles;
  /** The blocks of this run that read this one, as loaded (a pushed-down block keeps a copy of its table for those in its warehouse). */
  downstreamBlocks?: readonly LoadedBlock[];
  /** 1-based attempt number. */
  attempt: number;
  /** The attempt's time limit in seconds, when it has one: work sent to a warehouse gets the same limit there. */
  timeoutSeconds?: number;
  /**
   * The block's data session: upstream blocks are readable by their ids (this run's outputs where the run
   * produced them, otherwise their latest successful outputs); the block writes its output through it.
   */
  data: BlockSession;
  /** Runtime variables after defaults, per-run overrides and built-ins (execution_date, run_id, …). */
  variables: Record<string, unknown>;
  /** Aborted on cancellation or timeout; long work must watch it. */
  signal: AbortSignal;
  log(level: LogLevel, message: string): void;
  /** Throttled by the engine; call as often as convenient. */
  progress(update: ProgressUpdate): void;
  /** Absolute path of `.pipewright/cache` (shared download cache). */
  cacheDir: string;
  /** A temp folder for this attempt, removed afterwards. */
  tempDir: string;
  /**
   * Resolves a profile of connections.yaml with its secrets and this run's overrides (starting the local Postgres
   * for `local_postgres`). Absent where the host offers no connections.
   */
  connection?(name: string): Promise<ResolvedConnection>;
  /**
   * Ids of the project's runs that are not in flight, newest first: what a leftover of a killed run may be swept by.
   * Absent where the host keeps no run history.
   */
  settledRunIds?(): Iterable<string>;
  /**
   * Registers work for the end of the run, after every block finished, whatever the run's status (dropping what the
   * run kept for its own blocks). A failure becomes a warning of the run. Absent in contexts built by hand.
   */
  onRunEnd?(task: () => Promise<void>): void;
}

/** How an export would write a query's rows itself: DuckDB's COPY options and the staging path beside its target. */
export interface FileStage {
  /** A file or folder next to the target, not yet visible as the export's output. */
  path: string;
  /** The options of `COPY (…) TO path (…)`, exactly as the export's own write uses them. */
  copyOptions: string;
  format: 'parquet';
  /** Hive-style partition columns (the folders `col=value/`), in order; empty for one file. */
  partitionBy: string[];
  /** The target as the user wrote it (config.path), for messages. */
  display: string;
}

/** What an export's stageFiles gets: the export block, and the run (staging names carry it, to be swept once it is over). */
export type StageContext = Pick<BlockContext, 'project' | 'block' | 'runId' | 'settledRunIds'>;

/** See BlockContext.fileSink. */
export interface FileSink {
  /** The export block that reads this one. */
  exportId: string;
  /** Where and how the export would write; undefined when its config cannot take staged files (then write a table). */
  stage(): Promise<FileStage | undefined>;
  /** The staged rows are written: the export may publish them (called once the block's output view exists). */
  staged(stage: FileStage, rows: number): void;
  /** The staging was not used after all (a column type the files cannot carry back): it is removed. */
  abandon(stage: FileStage): Promise<void>;
}

/** See BlockContext.stagedFiles. */
export interface StagedFiles extends FileStage {
  /** The block that wrote them. */
  by: string;
  rows: number;
}

/** What a block reports when it succeeds; the engine adds timing. */
export interface BlockOutcome {
  rowsIn?: number;
  rowsOut?: number;
  bytes?: number;
  /** Whether the block produced an output table (sources and transforms do; exports usually don't). */
  hasOutput: boolean;
  /** Tests the kind ran itself (a Python file's @test functions); a failed one fails the block like tests: in pipeline.yaml. */
  tests?: BlockTestResult[];
}

/**
 * A kind of block (`source/http_file`, `transform/sql`, …). The engine only knows this interface.
 * `config` has already been templated with the run's variables and validated by `configSchema`.
 */
export interface BlockKind<C = unknown> {
  type: BlockType;
  kind: string;
  /** Short description for palettes and `--help`. */
  title: string;
  configSchema: z.ZodType<C>;
  /** Whether `file:` (a .sql, .ts or .py code file) is required, optional or not allowed. */
  code: 'required' | 'optional' | 'none';
  /** File extension of the code file, when code is used. */
  codeExtension?: '.sql' | '.ts' | '.py';
  run(ctx: BlockContext, config: C): Promise<BlockOutcome>;
  /**
   * The output's columns before any run (SQL bound over the upstream schemas, a file's header, a pushed-down
   * engine's dry run); undefined when the kind cannot tell, so the block's declared `schema:` or last run is used.
   */
  designSchema?(ctx: DesignContext, config: C): Promise<ColumnInfo[] | undefined>;
  /**
   * An export's staging for its upstream's rows (see BlockContext.fileSink), or undefined when this config cannot
   * take them that way. `run` then receives them as ctx.stagedFiles.
   */
  stageFiles?(ctx: StageContext, config: C): Promise<FileStage | undefined>;
  /** What this export would do (DDL, objects, rows, schema differences), without writing anything. */
  planExport?(ctx: PlanContext, config: C): Promise<ExportPlan>;
}
