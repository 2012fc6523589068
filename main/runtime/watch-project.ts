import { watch, type FSWatcher } from 'node:fs';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { listPipelineIds } from '../project/load-project.ts';
import { readPipelineVersion } from '../project/pipeline-writer.ts';

/** What the watcher reports: a pipeline whose files (or the code files of the project) changed on disk. */
export interface PipelineChange {
  pipelineId: string;
  version: string;
  /** A file under blocks/ changed: the pipeline's YAML may be the same, its code not. */
  codeChanged: boolean;
}

export interface ProjectWatcher {
  /** Resolves once every pipeline folder is watched and its version known: edits from then on are reported. */
  ready: Promise<void>;
  close(): void;
}

/** Quiet time after the last file event before reporting: editors save in bursts (temp file, rename, chmod). */
const DEBOUNCE_MS = 150;

/**
 * Watches `pipelines/`, each `pipelines/<id>/` and `blocks/` and calls `onChange` once per burst of changes for each
 * pipeline whose version moved (or, for a code change, for every pipeline). Temp files of atomic writes are ignored.
 * One non-recursive watcher per folder: folder watches survive files being replaced by rename, which is how
 * editors (and our own writer) save; Linux's recursive mode watches file inodes and loses them then.
 */
export function watchProject(projectDir: string, onChange: (change: PipelineChange) => void): ProjectWatcher {
  const versions = new Map<string, string>();
  const watchers = new Map<string, FSWatcher>();
  const pending = { pipelines: new Set<string>(), code: false, all: false };
  let timer: NodeJS.Timeout | undefined;
  let isClosed = false;

  const flush = async () => {
    const { code, all } = pending;
    const named = [...pending.pipelines];
    pending.pipelines.clear();
    pending.code = false;
    pending.all = false;
    const known = await listPipelineIds(projectDir);
    for (const id of known) watchFolder(path.join('pipelines', id), () => pending.pipelines.add(id));
    const ids = code || all ? known : named;
    for (const pipelineId of ids) {
      const version = await readPipelineVersion(projectDir, pipelineId);
      if (isClosed || (!code && versions.get(pipelineId) === version)) continue;
      versions.set(pipelineId, version);
      onChange({ pipelineId, version, codeChanged: code });
    }
  };
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      flush().catch((error: unknown) => console.error('pipewright: watching the project failed', error));
    }, DEBOUNCE_MS);
  };
  const watchFolder = (folder: string, onEvent: (file: string | null) => void) => {
    if (isClosed || watchers.has(folder)) return;
    const dir = path.join(projectDir, folder);
    let watcher: FSWatcher;
    try {
      // Created when missing so that code files added later (the canvas creates blocks/) are seen too.
      mkdirSync(dir, { recursive: true });
      watcher = watch(dir, { persistent: false }, (_type, file) => {
        if (file !== null && isTempFile(file)) return;
        onEvent(file);
        schedule();
      });
    } catch (error) {
      // A read-only project or no inotify watches left: editing still works, only outside edits go unseen.
      console.warn(`pipewright: not watching ${folder}/ (${error instanceof Error ? error.message : String(error)})`);
      return;
    }
    watcher.on('error', (error) => {
      // A pipeline folder removed while watched: forget it; a new one gets a watcher on the next flush.
      watchers.delete(folder);
      watcher.close();
      if (!(error instanceof Error && 'code' in error && error.code === 'ENOENT'))
        console.error(`pipewright: watching ${folder}/ stopped`, error);
    });
    watchers.set(folder, watcher);
  };
  watchFolder('pipelines', () => (pending.all = true));
  watchFolder('blocks', () => (pending.code = true));
  const ready = listPipelineIds(projectDir)
    .then(async (ids) => {
      for (const id of ids) {
        watchFolder(path.join('pipelines', id), () => pending.pipelines.add(id));
        versions.set(id, await readPipelineVersion(projectDir, id));
      }
    })
    .catch((error: unknown) => console.error('pipewright: listing pipelines to watch failed', error));
  return {
    ready,
    close: () => {
      isClosed = true;
      clearTimeout(timer);
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
    },
  };
}

function isTempFile(file: string): boolean {
  return /\.tmp$|~$|\.swp$/.test(file);
}
