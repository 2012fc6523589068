import type { Pipeline } from '../model/project.ts';

/** The built-in variables that differ between a backfill's intervals. */
const INTERVAL_VARIABLE = /\{\{\s*(ds|execution_date|interval_start|interval_end)\b/;

/**
 * Whether any block reads a per-interval variable (`{{ ds }}`, `{{ interval_start }}`…) in its config, code or tests:
 * without one, every interval of a backfill loads the same data.
 */
export function usesIntervalVariables(pipeline: Pipeline): boolean {
  return pipeline.blocks.some((block) => {
    const texts = [
      JSON.stringify(block.config ?? {}),
      JSON.stringify(block.tests ?? []),
      JSON.stringify(block.condition ?? null),
      block.code?.text ?? '',
    ];
    for (const test of Object.values(block.testCode)) texts.push(test.text);
    return texts.some((text) => INTERVAL_VARIABLE.test(text));
  });
}

/** The backfill dialog's warning for a pipeline that reads no per-interval variable, or undefined. */
export function intervalWarning(pipeline: Pipeline): string | undefined {
  if (usesIntervalVariables(pipeline)) return undefined;
  return `no block of ${pipeline.id} uses {{ ds }} or {{ interval_start }}/{{ interval_end }}: every interval would load the same data`;
}
