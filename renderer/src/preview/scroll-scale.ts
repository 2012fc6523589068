/**
 * Browsers cap an element's height (about 16.7 million px in Chromium, less elsewhere): 1.24M rows of 24 px already
 * exceed it. Past this height the scroll space is scaled: the scrollbar's position is a fraction of all rows, and
 * the visible rows are placed relative to the viewport instead of at `row × height`.
 */
export const MAX_BODY_PX = 8_000_000;

/** Which rows a viewport shows, where each one goes in the body, and where to scroll to reach a row. */
export interface RowLayout {
  /** Height of the scrollable body (capped). */
  bodyHeight: number;
  /** Whether the scroll space is scaled (the body would exceed the cap). */
  isScaled: boolean;
  /** The (fractional) row at the top of the view. */
  firstExact: number;
  /** The largest `firstExact`: the last row then sits at the bottom of the view. */
  rowSpan: number;
  /** The last row at least partly in view (no overscan). */
  lastVisible: number;
  /** First and last row to render (overscan included), inclusive; last < first when there are no rows. */
  first: number;
  last: number;
  /** Top of row `index` in body pixels. */
  topOf(index: number): number;
  /** The scrollTop that shows `row` at the top of the viewport (or as near as the end allows). */
  scrollTopFor(row: number): number;
}

/**
 * The row layout for a scroll position; `viewHeight` is the body's visible height (viewport minus sticky header).
 * In a scaled space `firstRow`, when given, is the row at the top (the wheel moves it row by row, which a scaled
 * scrollTop cannot express); otherwise the scrollbar's fraction decides.
 */
export function layoutRows(args: {
  scrollTop: number;
  viewHeight: number;
  totalRows: number;
  rowHeight: number;
  overscan: number;
  maxBody?: number;
  firstRow?: number | null;
}): RowLayout {
  const { scrollTop, totalRows, rowHeight, overscan } = args;
  const viewHeight = Math.max(0, args.viewHeight);
  const fullHeight = totalRows * rowHeight;
  const maxBody = args.maxBody ?? MAX_BODY_PX;
  const visibleRows = viewHeight / rowHeight;
  const isScaled = fullHeight > maxBody;
  const bodyHeight = isScaled ? maxBody : fullHeight;
  const maxScroll = Math.max(1, bodyHeight - viewHeight);
  const rowSpan = Math.max(0, totalRows - visibleRows);
  const fromScrollbar = (Math.min(Math.max(scrollTop, 0), maxScroll) / maxScroll) * rowSpan;
  const scaledFirst = args.firstRow === undefined || args.firstRow === null ? fromScrollbar : Math.min(Math.max(args.firstRow, 0), rowSpan);
  const firstExact = isScaled ? scaledFirst : Math.max(scrollTop, 0) / rowHeight;
  return {
    bodyHeight,
    isScaled,
    firstExact,
    rowSpan,
    lastVisible: Math.min(totalRows - 1, Math.max(Math.floor(firstExact), Math.ceil(firstExact + visibleRows) - 1)),
    first: Math.max(0, Math.floor(firstExact) - overscan),
    last: Math.min(totalRows - 1, Math.ceil(firstExact + visibleRows) + overscan),
    topOf: (index) => (isScaled ? scrollTop + (index - firstExact) * rowHeight : index * rowHeight),
    scrollTopFor: (row) => {
      const target = Math.min(Math.max(row, 0), rowSpan);
      return isScaled ? (rowSpan === 0 ? 0 : (target / rowSpan) * maxScroll) : target * rowHeight;
    },
  };
}
