import { useCallback, useState } from 'react';
import { useStore, type ReactFlowState } from '@xyflow/react';
import { NODE_HEIGHT, NODE_WIDTH } from './auto-layout.ts';

/** The minimap's box: its size and its margin from the canvas's bottom-right corner (React Flow's Panel margin). */
export const MINIMAP_BOX = { width: 150, height: 96, margin: 15 };
/** Under this canvas height the minimap would take most of it: the automatic choice is to hide it. */
const MIN_CANVAS_HEIGHT = 480;
const STORAGE_KEY = 'pipewright.minimap';

type Choice = 'auto' | 'on' | 'off';

export interface Minimap {
  isShown: boolean;
  /** Shows a hidden minimap or hides a shown one, and remembers it (the user's choice beats the automatic one). */
  toggle(): void;
  /** While the pointer is on the minimap it stays, even when a pan brings a block under it. */
  setHovered(isHovered: boolean): void;
}

/**
 * Whether the canvas shows its minimap: as the user chose (the toolbar's Minimap button, or M), else automatically
 * where it has room: a canvas at least 480 px tall with no block in view under the minimap's corner.
 */
export function useMinimap(): Minimap {
  const [choice, setChoice] = useState<Choice>(readChoice);
  const [isHovered, setHovered] = useState(false);
  const hasRoom = useStore(hasRoomForMinimap);
  const isShown = choice === 'on' || (choice === 'auto' && (hasRoom || isHovered));
  const toggle = useCallback(() => {
    const next = isShown ? 'off' : 'on';
    setChoice(next);
    window.localStorage.setItem(STORAGE_KEY, next);
  }, [isShown]);
  return { isShown, toggle, setHovered };
}

function readChoice(): Choice {
  const stored = window.localStorage.getItem(STORAGE_KEY);
  return stored === 'on' || stored === 'off' ? stored : 'auto';
}

/** A tall canvas whose bottom-right corner, where the minimap goes, shows no part of a block. */
function hasRoomForMinimap(state: ReactFlowState): boolean {
  if (state.height < MIN_CANVAS_HEIGHT) return false;
  const [tx, ty, zoom] = state.transform;
  const left = state.width - MINIMAP_BOX.width - MINIMAP_BOX.margin;
  const top = state.height - MINIMAP_BOX.height - MINIMAP_BOX.margin;
  for (const node of state.nodeLookup.values()) {
    const { x, y } = node.internals.positionAbsolute;
    const x0 = x * zoom + tx;
    const y0 = y * zoom + ty;
    const x1 = x0 + (node.measured.width ?? NODE_WIDTH) * zoom;
    const y1 = y0 + (node.measured.height ?? NODE_HEIGHT) * zoom;
    if (x1 > left && x0 < state.width && y1 > top && y0 < state.height) return false;
  }
  return true;
}
