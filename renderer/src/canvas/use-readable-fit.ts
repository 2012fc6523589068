import { useCallback } from 'react';
import { useReactFlow, useStoreApi } from '@xyflow/react';
import { FIT_PADDING, NARROW_CANVAS_PX, NARROW_FIT_PADDING, readableViewport } from './readable-fit.ts';

/** Zoom to fit that keeps node text readable: the whole graph when it fits, else the readable zoom panned to the selection or the start. */
export function useReadableFit(): () => void {
  const flow = useReactFlow();
  const store = useStoreApi();
  return useCallback(() => {
    const { width, height } = store.getState();
    const nodes = flow.getNodes();
    if (nodes.length === 0 || width === 0 || height === 0) return;
    const selected = nodes.filter((n) => n.selected);
    const focus = selected.length > 0 ? flow.getNodesBounds(selected) : null;
    void flow.setViewport(
      readableViewport(flow.getNodesBounds(nodes), width, height, focus, width < NARROW_CANVAS_PX ? NARROW_FIT_PADDING : FIT_PADDING),
    );
  }, [flow, store]);
}
