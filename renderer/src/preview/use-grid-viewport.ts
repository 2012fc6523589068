import { useEffect, useLayoutEffect, useRef, useState, type RefObject } from 'react';
import { layoutRows, type RowLayout } from './scroll-scale.ts';

interface Options {
  scroller: RefObject<HTMLDivElement | null>;
  header: RefObject<HTMLDivElement | null>;
  totalRows: number;
  rowHeight: number;
  overscan: number;
  /** Scrolls so this row is at the top; `seq` makes asking twice for the same row scroll again. */
  jumpTo: { row: number; seq: number } | null | undefined;
  /** Anything that changes the sticky header's height (the profile row). */
  headerKey: unknown;
}

export interface GridViewport {
  left: number;
  width: number;
  layout: RowLayout;
  /** Re-reads the scroller's position and size (on scroll). */
  measure(): void;
  /** Keyboard scrolling by rows (arrows, pages, Home/End), exact in a scaled space too; true when the key was used. */
  handleKey(key: string): boolean;
}

/**
 * Where the grid's viewport is, and which rows it shows. In a scaled scroll space (see scroll-scale.ts) a wheel
 * tick would skip hundreds of rows, so the wheel moves the top row by its pixels instead and the scrollbar
 * follows; dragging the scrollbar still jumps by fraction.
 */
export function useGridViewport({ scroller, header, totalRows, rowHeight, overscan, jumpTo, headerKey }: Options): GridViewport {
  const [view, setView] = useState({ top: 0, left: 0, height: 400, width: 800, headerHeight: rowHeight, firstRow: null as number | null });
  // The row the wheel (or a jump) put at the top, and the scrollTop that goes with it; a scroll elsewhere clears it.
  const pinned = useRef<{ row: number; top: number } | null>(null);
  const layout = layoutRows({
    scrollTop: view.top,
    viewHeight: view.height - view.headerHeight,
    totalRows,
    rowHeight,
    overscan,
    firstRow: view.firstRow,
  });
  const latest = useRef(layout);
  latest.current = layout;

  const measure = () => {
    const el = scroller.current;
    if (!el) return;
    if (pinned.current && Math.abs(el.scrollTop - pinned.current.top) > 1) pinned.current = null;
    const headerHeight = header.current?.offsetHeight ?? rowHeight;
    setView({
      top: el.scrollTop,
      left: el.scrollLeft,
      height: el.clientHeight,
      width: el.clientWidth,
      headerHeight,
      firstRow: pinned.current?.row ?? null,
    });
  };
  const pinRow = (row: number) => {
    const el = scroller.current;
    if (!el) return;
    const now = latest.current;
    const target = now.isScaled ? Math.min(Math.max(row, 0), now.rowSpan) : row;
    el.scrollTop = now.scrollTopFor(target);
    // The browser rounds scrollTop: remember what it kept, so the next scroll event is known as ours.
    pinned.current = now.isScaled ? { row: target, top: el.scrollTop } : null;
    measure();
  };
  const pinRowRef = useRef(pinRow);
  pinRowRef.current = pinRow;

  useLayoutEffect(measure, [headerKey]);
  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const observer = new ResizeObserver(() => measure());
    observer.observe(el);
    const onWheel = (event: WheelEvent) => {
      const now = latest.current;
      if (!now.isScaled || event.deltaY === 0 || event.ctrlKey) return;
      event.preventDefault();
      const pixels =
        event.deltaMode === 1 ? event.deltaY * rowHeight : event.deltaMode === 2 ? event.deltaY * el.clientHeight : event.deltaY;
      el.scrollLeft += event.deltaX;
      pinRowRef.current(now.firstExact + pixels / rowHeight);
    };
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => {
      observer.disconnect();
      el.removeEventListener('wheel', onWheel);
    };
    // The scroller element lives as long as the grid: listeners are set up once.
  }, []);
  useEffect(() => {
    if (jumpTo) pinRowRef.current(jumpTo.row);
  }, [jumpTo]);
  const handleKey = (key: string): boolean => {
    const now = latest.current;
    const page = Math.max(1, Math.floor(now.lastVisible - now.firstExact));
    const moves: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: page, PageUp: -page };
    if (key === 'Home' || key === 'End') pinRow(key === 'Home' ? 0 : totalRows);
    else if (moves[key] !== undefined) pinRow(Math.round(now.firstExact) + moves[key]);
    else return false;
    return true;
  };
  return { left: view.left, width: view.width, layout, measure, handleKey };
}
