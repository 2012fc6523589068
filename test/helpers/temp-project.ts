import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';

/** A project folder in a temp dir, written from plain objects; `cleanup()` removes it. */
export interface TempProject {
  dir: string;
  writePipeline(id: string, pipeline: Record<string, unknown>): void;
  writeFile(relPath: string, text: string): void;
  cleanup(): void;
}

/** Creates a temp project with a pipewright.yaml (engine settings merged over fast test defaults). */
export function createTempProject(settings: Record<string, unknown> = {}): TempProject {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-project-'));
  const writeFile = (relPath: string, text: string) => {
    const file = path.join(dir, relPath);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  };
  const engine = { concurrency: 4, threads: 2, retry: { retries: 0, delay: 0.01, max_delay: 0.05 }, ...(settings.engine as object) };
  writeFile('pipewright.yaml', stringify({ name: 'test-project', ...settings, engine }));
  writeFile('connections.yaml', '{}\n');
  mkdirSync(path.join(dir, 'pipelines'), { recursive: true });
  return {
    dir,
    writeFile,
    writePipeline: (id, pipeline) => writeFile(`pipelines/${id}/pipeline.yaml`, stringify(pipeline)),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
