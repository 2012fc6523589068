import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { openProject, type OpenProject } from '../../../main/runtime/open-project.ts';
import { PipewrightError, toErrorShape } from '../../../main/model/errors.ts';
import type { BlockKind } from '../../../main/model/block-kind.ts';
import { createTestRegistry } from '../test-kinds.ts';
import type { Outcome } from './case.ts';

/** One project holding a pipeline per case, opened once (real DuckDB, SQLite, file access locked) and run case by case. */
export interface ProjectRuns {
  dir: string;
  /** Adds pipeline `id` with `blocks` and writes `files` (relative to the project). */
  add(id: string, blocks: Record<string, unknown>[], files?: Record<string, string | Buffer>): void;
  /** Runs pipeline `id` and reports what became of block `blockId`. */
  outcome(id: string, blockId: string, signal: AbortSignal): Promise<Outcome>;
  close(): Promise<void>;
}

export function createProjectRuns(dir: string, opts: { settings?: Record<string, unknown>; kinds?: BlockKind[] } = {}): ProjectRuns {
  const write = (rel: string, body: string | Buffer) => {
    const file = path.join(dir, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, body);
  };
  const engine = { concurrency: 2, threads: 2, retry: { retries: 0, delay: 0.01, max_delay: 0.05 } };
  write('pipewright.yaml', stringify({ name: 'hostile', engine, ...opts.settings }));
  let opening: Promise<OpenProject> | undefined;
  const open = () => {
    if (!opening) {
      const kinds = createTestRegistry();
      for (const kind of opts.kinds ?? []) kinds.register(kind);
      opening = openProject(dir, { kinds });
    }
    return opening;
  };
  return {
    dir,
    add(id, blocks, files = {}) {
      write(`pipelines/${id}/pipeline.yaml`, stringify({ blocks }));
      for (const [rel, body] of Object.entries(files)) write(rel, body);
    },
    async outcome(id, blockId, signal) {
      const project = await open();
      // A pipeline the loader refuses is an outcome too: the error names the file and line.
      const pipeline = await project.loadPipeline(id).catch((error: unknown) => {
        if (error instanceof PipewrightError) return toErrorShape(error);
        throw error;
      });
      if (!('spec' in pipeline)) return { error: pipeline };
      const result = await project.run({ pipeline, scope: { kind: 'pipeline' }, trigger: { kind: 'test' }, signal });
      const block = result.blocks.find((b) => b.id === blockId);
      if (!block) throw new Error(`no block ${blockId} in the run of ${id}`);
      return block.error ? { error: block.error } : { rows: block.rows };
    },
    async close() {
      if (opening) await (await opening).close();
    },
  };
}
