/**
 * A run-owning process for the run store's crash tests: `crash-child.ts <history.sqlite> <run-id>`.
 * Records part of a run (extract succeeded, clean running, report pending, some logs), prints "ready" once every
 * event is committed, then stays alive until it is killed: SIGKILL simulates a crash, staying alive lets a test
 * check that a live owner's run is left alone.
 */
import { RunStore } from '../../main/history/run-store.ts';

const [file, runId] = process.argv.slice(2);
if (!file || !runId) throw new Error('usage: crash-child.ts <history.sqlite> <run-id>');

const store = RunStore.open(file);
const at = Date.now();
store.record({
  type: 'run.started',
  runId,
  at,
  pipelineId: 'taxi',
  scope: { kind: 'pipeline' },
  blocks: ['extract', 'clean', 'report'],
  trigger: { kind: 'test', by: 'crash-child' },
  variables: { ds: '2025-01-01' },
  pipelineHash: 'p1',
  codeHash: 'c1',
});
for (const blockId of ['extract', 'clean', 'report']) store.record({ type: 'block.queued', runId, blockId, at });
store.record({ type: 'block.started', runId, blockId: 'extract', attempt: 1, at });
store.record({ type: 'log.written', runId, blockId: 'extract', level: 'info', message: 'read 3 rows', at });
store.record({ type: 'block.succeeded', runId, blockId: 'extract', attempt: 1, durationMs: 5, rowsOut: 3, at: at + 5 });
store.record({ type: 'block.started', runId, blockId: 'clean', attempt: 1, at: at + 6 });
for (let i = 1; i <= 3; i++)
  store.record({ type: 'log.written', runId, blockId: 'clean', level: 'info', message: `cleaning step ${i}`, at: at + 6 + i });
process.stdout.write('ready\n');
// Keep the event loop (and so the process) alive until the test kills it.
setInterval(() => undefined, 60_000);
