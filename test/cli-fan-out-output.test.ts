import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './helpers/run-cli.ts';
import { createTempProject } from './helpers/temp-project.ts';
import { createRunReporter } from '../main/cli/run-reporter.ts';
import type { RunEvent } from '../main/model/run-events.ts';
import { writeSqlFanOut } from './helpers/sql-fan-out.ts';

const CHILDREN = 200;
/** Items i with i % 8 = 7 fail: 25 of 200, more than the 20 listed by name. */
const isFailing = (i: number) => i % 8 === 7;
const FAILING = Array.from({ length: CHILDREN }, (_, i) => i).filter(isFailing);

function fanOutProject() {
  const temp = createTempProject();
  writeSqlFanOut(temp, CHILDREN, "select case when {{ item.i }} % 8 = 7 then error('bad item {{ item.i }}') else {{ item.i }} end as i");
  return temp;
}

test('run prints a fan-out of 200 children as a summary and its first 20 failed children, not 4 lines per child', async () => {
  const temp = fanOutProject();
  try {
    const result = await runCli(['run', 'fan', '--project', temp.dir]);
    assert.equal(result.code, 1, result.stderr);
    const lines = result.stderr.trimEnd().split('\n');
    // Before: 4 lines per child (800+). Now the top-level blocks' lines, the summary, 20 failures and the hint.
    assert.ok(lines.length <= 40, `${lines.length} lines:\n${result.stderr}`);
    assert.doesNotMatch(result.stderr, /each\[\d+\] (started|succeeded)/);
    assert.match(
      result.stderr,
      new RegExp(`each: ${CHILDREN} children: ${CHILDREN - FAILING.length} succeeded, ${FAILING.length} failed$`, 'm'),
    );
    const listed = lines.filter((l) => / FAILED \(item /.test(l));
    assert.equal(listed.length, 20);
    for (const [n, text] of listed.entries()) {
      const i = FAILING[n];
      // Each names the child, its item and the error.
      assert.ok(text.includes(`each[${i}] FAILED (item {"i":${i}}): `) && text.includes(`bad item ${i}`), text);
    }
    const runId = /^\S+ run (\S+) of fan/m.exec(result.stderr)?.[1] ?? '';
    const hint = new RegExp(
      `… and ${FAILING.length - 20} more failed: pipewright history ${runId} --children each --failed --from ${FAILING[20]}$`,
      'm',
    );
    assert.match(result.stderr, hint);
    // The hinted command lists the others.
    const from = String(FAILING[20]);
    const history = await runCli(['history', runId, '--children', 'each', '--failed', '--from', from, '--project', temp.dir]);
    assert.equal(history.code, 0, history.stderr);
    assert.deepEqual(
      [...history.stdout.matchAll(/bad item (\d+)$/gm)].map((m) => Number(m[1])),
      FAILING.slice(20),
    );
    // The run's history shows the top-level lines and where the children's are; --logs prints them.
    const shown = await runCli(['history', runId, '--project', temp.dir]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.doesNotMatch(shown.stdout, /^\S+ each\[\d+\] /m);
    assert.match(shown.stdout, new RegExp(`their log lines: pipewright history ${runId} --logs each$`, 'm'));
    const all = await runCli(['history', runId, '--logs', 'each', '--project', temp.dir]);
    assert.equal(new Set([...all.stdout.matchAll(/^\S+ (each\[\d+\]) /gm)].map((m) => m[1])).size, CHILDREN);
    const one = await runCli(['history', runId, '--logs', `each[${FAILING[0]}]`, '--project', temp.dir]);
    assert.deepEqual([...new Set([...one.stdout.matchAll(/^\S+ (\S+) /gm)].map((m) => m[1]))], [`each[${FAILING[0]}]`]);
    assert.match(one.stdout, new RegExp(`bad item ${FAILING[0]}`));
  } finally {
    temp.cleanup();
  }
});

test('run --verbose prints every child line, as before', async () => {
  const temp = fanOutProject();
  try {
    const result = await runCli(['run', 'fan', '--project', temp.dir, '--verbose']);
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.stderr.match(/ each\[\d+\] started$/gm)?.length, CHILDREN);
    assert.equal(result.stderr.match(/ each\[\d+\] FAILED: .*bad item \d+$/gm)?.length, FAILING.length);
    assert.doesNotMatch(result.stderr, /children: \d+ succeeded/);
  } finally {
    temp.cleanup();
  }
});

/** A reporter writing into a string, as on a terminal or not. */
function capture(isTty: boolean) {
  let text = '';
  const stream = { isTTY: isTty, write: (chunk: string) => ((text += chunk), true) } as unknown as NodeJS.WriteStream;
  return { reporter: createRunReporter(stream), text: () => text };
}

/** 10,000 children, one every `stepMs` of event time (the reporter throttles on the events' times). */
function fanOutEvents(stepMs: number): RunEvent[] {
  const runId = 'r1';
  const at0 = 1_700_000_000_000;
  const events: RunEvent[] = [
    {
      type: 'run.started',
      runId,
      pipelineId: 'fan',
      at: at0,
      scope: { kind: 'pipeline' },
      blocks: ['each'],
      trigger: { kind: 'test' },
      variables: {},
      pipelineHash: 'h',
      codeHash: 'h',
    },
    { type: 'block.started', runId, blockId: 'each', attempt: 1, at: at0 },
  ];
  for (let index = 0; index < 10_000; index++) {
    const blockId = `each[${index}]`;
    const at = at0 + index * stepMs;
    events.push({ type: 'block.added', runId, blockId, parentId: 'each', index, at });
    events.push({ type: 'log.written', runId, blockId, level: 'info', message: `item ${index}: {"i":${index}}`, at });
    events.push({ type: 'block.started', runId, blockId, attempt: 1, at });
    events.push({ type: 'block.succeeded', runId, blockId, attempt: 1, durationMs: 1, rowsOut: 1, at });
    if (index % 100 === 0)
      events.push({ type: 'block.progressed', runId, blockId: 'each', phase: 'children', done: index, total: 10_000, unit: 'items', at });
  }
  const end = at0 + 10_000 * stepMs;
  events.push({ type: 'block.succeeded', runId, blockId: 'each', attempt: 1, durationMs: end - at0, rowsOut: 10_000, at: end });
  events.push({ type: 'run.finished', runId, status: 'succeeded', durationMs: end - at0, at: end });
  return events;
}

test('on a terminal the children count is redrawn at most once a second', () => {
  const { reporter, text } = capture(true);
  for (const event of fanOutEvents(1)) reporter.onEvent(event); // 10 s of events
  const redraws = text()
    .split('\r\x1b[2K')
    .filter((part) => /^each: [\d,]+\/10,000 children done/.test(part));
  assert.ok(redraws.length >= 5 && redraws.length <= 11, `${redraws.length} redraws`);
  assert.match(text(), /each: 10,000 children: 10,000 succeeded\n/);
});

test('off a terminal the count is a line every 30 s at most, and the summary at the end', () => {
  const { reporter, text } = capture(false);
  for (const event of fanOutEvents(10)) reporter.onEvent(event); // 100 s of events
  const counts = text().match(/^\S+ each: [\d,]+\/10,000 children done$/gm) ?? [];
  assert.ok(counts.length >= 2 && counts.length <= 4, `${counts.length} count lines:\n${text()}`);
  assert.ok(text().split('\n').length < 15, text());
  assert.match(text(), /each: 10,000 children: 10,000 succeeded\n/);
});

test("children's warnings print as they come, the first 20, and the summary counts the rest", () => {
  const { reporter, text } = capture(false);
  const events = fanOutEvents(1);
  const warnings: RunEvent[] = Array.from({ length: 25 }, (_, i) => ({
    type: 'log.written',
    runId: 'r1',
    blockId: `each[${i}]`,
    level: 'warn',
    message: `careful ${i}`,
    at: 1_700_000_000_000 + i,
  }));
  // After each child's start: its item line and started event come first.
  for (const event of events) {
    reporter.onEvent(event);
    const index = event.type === 'block.started' ? /^each\[(\d+)\]$/.exec(event.blockId)?.[1] : undefined;
    const warning = index === undefined ? undefined : warnings[Number(index)];
    if (warning) reporter.onEvent(warning);
  }
  assert.equal(text().match(/ each\[\d+\] warn: careful \d+$/gm)?.length, 20);
  assert.match(text(), /^ {2}… and 5 more warnings of children: pipewright history r1 --logs each$/m);
});
