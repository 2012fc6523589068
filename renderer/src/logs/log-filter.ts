import type { LogLine } from '../api/views.ts';

/** Levels from the most to the least verbose: a minimum level keeps itself and everything after it. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type MinLevel = (typeof LOG_LEVELS)[number];

/** What the log panel shows: one block or all, a minimum level, and a case-insensitive text. */
export interface LogFilter {
  blockId: string | null;
  minLevel: MinLevel;
  text: string;
}

export const NO_FILTER: LogFilter = { blockId: null, minLevel: 'debug', text: '' };

/** The lines that pass the filter, in their original order. */
export function filterLogLines(lines: readonly LogLine[], filter: LogFilter): LogLine[] {
  const minRank = LOG_LEVELS.indexOf(filter.minLevel);
  const needle = filter.text.trim().toLowerCase();
  return lines.filter(
    (line) =>
      (filter.blockId === null || line.blockId === filter.blockId) &&
      rankOf(line.level) >= minRank &&
      (needle === '' || line.message.toLowerCase().includes(needle)),
  );
}

/** The blocks a run logged or ran, in first-seen order: the choices of the block filter. */
export function blocksOfRun(lines: readonly LogLine[], runBlockIds: readonly string[]): string[] {
  const seen = new Set<string>(runBlockIds);
  for (const line of lines) if (line.blockId) seen.add(line.blockId);
  return [...seen];
}

// An unknown level (a newer engine) counts as info, so it is neither hidden by default nor mistaken for an error.
function rankOf(level: string): number {
  const rank = LOG_LEVELS.indexOf(level as MinLevel);
  return rank === -1 ? 1 : rank;
}
