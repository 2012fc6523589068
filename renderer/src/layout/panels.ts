import type { PanelLimits } from './use-panel-size.ts';

/** The palette's width beside the canvas. */
export const PALETTE_PANEL: PanelLimits = { initial: 190, min: 140, max: 420 };
/** The block details' height under the canvas. */
export const DETAILS_PANEL: PanelLimits = { initial: 320, min: 140, max: 900 };
/** The bottom panel's height while it shows the log (a few lines are enough by default). */
export const LOG_PANEL: PanelLimits = { initial: 150, min: 72, max: 700 };
/** The bottom panel's height while it shows the SQL console (editor plus a result grid of at least 15 rows at 900 px). */
export const CONSOLE_PANEL: PanelLimits = { initial: 580, min: 180, max: 820 };
/** The code's width beside the block's output in the Code tab (the output takes the rest). */
export const CODE_PANE: PanelLimits = { initial: 420, min: 260, max: 1400 };
/** The canvas's width when it is moved beside the block editor. */
export const CANVAS_BESIDE_PANEL: PanelLimits = { initial: 350, min: 220, max: 900 };
