import { writeSync } from 'node:fs';

/** The variable naming the kill points to die at, comma-separated (`postgres.committed,bigquery.job-done`). */
export const KILL_AT_ENV = 'PIPEWRIGHT_TEST_KILL_AT';

/**
 * A test hook for crash safety (test/hostile-kill.test.ts): when PIPEWRIGHT_TEST_KILL_AT names `label`, the
 * process SIGKILLs itself here, as a power cut or `kill -9` would end it at the worst moment (say, just after a load
 * committed and before the run recorded it). Inert in production: without the variable it only reads the
 * environment. The line on stderr lets the test check that the kill happened where it meant.
 */
export function killPoint(label: string): void {
  const wanted = process.env[KILL_AT_ENV];
  if (!wanted || !wanted.split(',').includes(label)) return;
  writeSync(2, `kill point ${label}: SIGKILL\n`); // synchronous: nothing buffered would survive the kill
  process.kill(process.pid, 'SIGKILL');
}
