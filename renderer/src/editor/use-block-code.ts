import { useCallback, useEffect, useRef, useState } from 'react';
import { useApi } from '../api/ApiContext.tsx';
import { ApiError } from '../api/api-client.ts';

interface CodeOnDisk {
  file: string;
  text: string;
  hash: string;
}

export type BlockCodeState =
  | { status: 'loading' }
  | { status: 'error'; message: string }
  | {
      status: 'ready';
      file: string;
      /** The editor's text. */
      text: string;
      /** The text last read from or written to disk. */
      savedText: string;
      isSaving: boolean;
      /** The file changed on disk under unsaved edits: the user chooses reload or overwrite. */
      hasConflict: boolean;
      saveError: string | null;
    };

/**
 * A block's code file as the editor holds it: read from disk, edited, saved with the hash it was read at so a
 * change made elsewhere is never silently overwritten (a conflict instead). Re-reads when the pipeline changes on
 * disk, taking the new text only while there are no unsaved edits.
 */
export function useBlockCode(pipelineId: string, blockId: string) {
  const api = useApi();
  const [state, setState] = useState<BlockCodeState>({ status: 'loading' });
  const hash = useRef('');
  const current = useRef(state);
  current.current = state;

  const takeDisk = useCallback((disk: CodeOnDisk) => {
    hash.current = disk.hash;
    setState({
      status: 'ready',
      file: disk.file,
      text: disk.text,
      savedText: disk.text,
      isSaving: false,
      hasConflict: false,
      saveError: null,
    });
  }, []);
  const reload = useCallback(() => {
    api
      .call('blocks.readCode', { pipelineId, blockId })
      .then(takeDisk, (error: unknown) => setState({ status: 'error', message: messageOf(error) }));
  }, [api, pipelineId, blockId, takeDisk]);
  useEffect(reload, [reload]);

  useEffect(
    () =>
      api.on('pipelines.changed', (change) => {
        if (change.pipelineId !== pipelineId) return;
        void api.call('blocks.readCode', { pipelineId, blockId }).then(
          (disk) => {
            const s = current.current;
            if (s.status !== 'ready' || disk.hash === hash.current) return;
            if (s.text === s.savedText) takeDisk(disk);
            else setState({ ...s, hasConflict: true });
          },
          () => undefined,
        ); // the block may be gone after the change: the details panel closes then
      }),
    [api, pipelineId, blockId, takeDisk],
  );

  const setText = useCallback((text: string) => setState((s) => (s.status === 'ready' ? { ...s, text } : s)), []);

  /** Writes the editor's text; `overwrite` skips the on-disk check (after a conflict). Resolves whether it saved. */
  const save = useCallback(
    async (overwrite = false): Promise<boolean> => {
      const s = current.current;
      if (s.status !== 'ready') return false;
      setState({ ...s, isSaving: true, saveError: null });
      const params = { pipelineId, blockId, text: s.text, ...(overwrite ? {} : { expectedHash: hash.current }) };
      try {
        const disk = await api.call('blocks.saveCode', params);
        hash.current = disk.hash;
        setState((now) => (now.status === 'ready' ? { ...now, savedText: s.text, isSaving: false, hasConflict: false } : now));
        return true;
      } catch (error) {
        const isConflict = error instanceof ApiError && error.shape.place?.path === 'expectedHash';
        setState((now) =>
          now.status === 'ready'
            ? { ...now, isSaving: false, hasConflict: isConflict, saveError: isConflict ? null : messageOf(error) }
            : now,
        );
        return false;
      }
    },
    [api, pipelineId, blockId],
  );
  return { state, setText, save, reload };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
