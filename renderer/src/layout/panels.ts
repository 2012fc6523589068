import type { PanelLimits } from './use-panel-size.ts';

/** The palette's width beside the canvas. */
export const PALETTE_PANEL: PanelLimits = { initial: 190, min: 140, max: 420 };
/** The block details' height under the canvas. */
export const DETAILS_PANEL: PanelLimits = { initial: 320, min: 140, max: 900 };
/** The bottom panel's height while it shows the log (a few lines are enough by default). */
export const LOG_PANEL: PanelLimits = { initial: 170, min: 72, max: 700 };
/** The bottom panel's height while it shows the SQL console (editor plus a result grid). */
export const CONSOLE_PANEL: PanelLimits = { initial: 340, min: 180, max: 800 };
