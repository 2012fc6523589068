import type { BlockSpec, ConnectionsFile, LayoutFile, PipelineFile, ProjectFile } from './schema.ts';

/** A project folder, loaded and validated. No code has been executed to build it. */
export interface Project {
  /** Absolute path of the project root. */
  dir: string;
  /** Absolute path of `.pipewright/` (git-ignored local state). */
  stateDir: string;
  settings: ProjectFile;
  connections: ConnectionsFile;
  /** Ids of the pipelines found under `pipelines/`. */
  pipelineIds: string[];
}

/** A block's code file, read (never executed) at load time. */
export interface BlockCode {
  /** Path relative to the project root, as written in pipeline.yaml. */
  relPath: string;
  absPath: string;
  text: string;
}

export interface LoadedBlock extends BlockSpec {
  code?: BlockCode;
  /** Code of `tests[].file` entries, keyed by relative path. */
  testCode: Record<string, BlockCode>;
}

export interface Pipeline {
  id: string;
  /** Absolute path of pipeline.yaml. */
  file: string;
  spec: PipelineFile;
  blocks: LoadedBlock[];
  layout: LayoutFile;
  /** sha256 of pipeline.yaml's text. */
  pipelineHash: string;
  /** sha256 over the code files the blocks use, in block order. */
  codeHash: string;
}
