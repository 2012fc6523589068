import { useCallback, useLayoutEffect, useRef, useState, type RefObject } from 'react';

/** How close to the end (px) still counts as "at the newest line". */
const PINNED_SLACK = 24;

/**
 * Follows new content at the bottom of a scroller while the user is at the end; once they scroll up it stays put
 * (so a line being read does not run away) until they return to the end or call `jumpToEnd`.
 */
export function useStickToBottom<T extends HTMLElement>(
  contentKey: unknown,
): { ref: RefObject<T | null>; isPinned: boolean; onScroll(): void; jumpToEnd(): void } {
  const ref = useRef<T>(null);
  // A ref as well as state: the layout effect must read the value as of the last scroll, not of the last render.
  const pinned = useRef(true);
  const [isPinned, setPinned] = useState(true);
  const onScroll = useCallback(() => {
    const el = ref.current;
    if (!el) return;
    const atEnd = el.scrollHeight - el.scrollTop - el.clientHeight < PINNED_SLACK;
    pinned.current = atEnd;
    setPinned(atEnd);
  }, []);
  const jumpToEnd = useCallback(() => {
    const el = ref.current;
    if (el) el.scrollTop = el.scrollHeight;
    pinned.current = true;
    setPinned(true);
  }, []);
  useLayoutEffect(() => {
    const el = ref.current;
    if (el && pinned.current) el.scrollTop = el.scrollHeight;
  }, [contentKey]);
  return { ref, isPinned, onScroll, jumpToEnd };
}
