import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { openProject } from '../main/runtime/open-project.ts';
import { createTempProject } from './helpers/temp-project.ts';
import { CLI_ENTRY, runCli } from './helpers/run-cli.ts';

const blocks = [{ id: 'src', type: 'source', kind: 'local_file', config: { path: 'data.csv' } }];

test('triggers list shows each trigger with cron, time zone and the next five fires in UTC and local time', async () => {
  const temp = createTempProject();
  temp.writeFile('data.csv', 'a\n1\n');
  temp.writePipeline('etl', {
    triggers: [
      { name: 'daily', type: 'schedule', cron: '0 5 * * *' },
      { name: 'ny', type: 'schedule', cron: '30 2 * * 1-5', timezone: 'America/New_York', catch_up: 'latest' },
      { name: 'ci', type: 'api' },
    ],
    blocks,
  });
  try {
    const json = await runCli(['triggers', 'list', '--project', temp.dir, '--json']);
    assert.equal(json.code, 0, json.stderr);
    const { triggers } = JSON.parse(json.stdout) as {
      triggers: { name: string; timezone?: string; catchUp?: string; next: { utc: string; local: string }[] }[];
    };
    assert.deepEqual(
      triggers.map((t) => [t.name, t.timezone, t.catchUp]),
      [
        ['daily', 'UTC', 'skip'],
        ['ny', 'America/New_York', 'latest'],
        ['ci', undefined, undefined],
      ],
    );
    const daily = triggers[0]?.next ?? [];
    assert.equal(daily.length, 5);
    for (let i = 1; i < daily.length; i++) assert.equal(Date.parse(daily[i]?.utc ?? '') - Date.parse(daily[i - 1]?.utc ?? ''), 86_400_000);
    assert.ok(daily.every((f) => /T05:00:00Z$/.test(f.utc) && /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \S+/.test(f.local)));
    const ny = triggers[1]?.next ?? [];
    assert.ok(
      ny.every((f) => [1, 2, 3, 4, 5].includes(new Date(f.utc).getUTCDay())),
      'weekdays in New York are weekdays in UTC at 06:30/07:30',
    );
    assert.ok(
      ny.every((f) => /T0[67]:30:00Z$/.test(f.utc)),
      ny.map((f) => f.utc).join(),
    );

    const text = await runCli(['triggers', 'list', '--project', temp.dir]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /etl\/daily {2}schedule {2}cron "0 5 \* \* \*" in UTC, catch_up: skip, skip_if_running: true/);
    assert.match(text.stdout, /next fires \(UTC, local\):\n {4}\d{4}-\d{2}-\d{2}T05:00:00Z/);
    assert.match(text.stdout, /etl\/ci {2}api\n {2}POST \/api\/pipelines\/etl\/runs/);
  } finally {
    temp.cleanup();
  }
});

test('triggers list names the file, line and reason of an invalid cron or time zone, and exits 2', async () => {
  const temp = createTempProject();
  temp.writePipeline('etl', { triggers: [{ name: 'daily', type: 'schedule', cron: '0 25 * * *' }], blocks });
  temp.writePipeline('other', { triggers: [{ name: 'tz', type: 'schedule', cron: '0 5 * * *', timezone: 'Europe/Atlantis' }], blocks });
  try {
    const res = await runCli(['triggers', 'list', '--project', temp.dir]);
    assert.equal(res.code, 2);
    assert.match(
      res.stderr,
      /pipeline etl: pipelines\/etl\/pipeline\.yaml:\d+:\d+ triggers\[0\]\.cron: invalid cron expression: .*hour.*25/,
    );
    assert.match(res.stderr, /pipeline other: pipelines\/other\/pipeline\.yaml:\d+:\d+ triggers\[0\]\.timezone: unknown time zone/);
    const usage = await runCli(['triggers', '--project', temp.dir]);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /triggers list/);
  } finally {
    temp.cleanup();
  }
});

test('pipewright schedule fires a schedule headless, logs the run and its result, and stops on Ctrl-C', async () => {
  const temp = createTempProject();
  temp.writeFile('data.csv', 'a\n1\n');
  // Every second (6 fields, seconds first): the real clock fires within a second.
  temp.writePipeline('etl', { triggers: [{ name: 'often', type: 'schedule', cron: '* * * * * *' }], blocks });
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI_ENTRY, 'schedule', '--project', temp.dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (/etl\/often run \S+ succeeded/.test(stdout)) resolve();
      });
      void exited.then((code) => reject(new Error(`schedule exited (${code}) before a run finished:\n${stdout}\n${stderr}`)));
    });
    child.kill('SIGINT');
    assert.equal(await exited, 0, stderr);
    assert.match(stdout, /scheduler running for project test-project/);
    assert.match(stdout, /etl\/often started run \S+ for \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z/);
    assert.match(stdout, /stopping/);
    const open = await openProject(temp.dir, { readOnlyHistory: true });
    try {
      const runs = open.store.listRuns({ pipelineId: 'etl' });
      assert.ok(runs.length >= 1);
      assert.ok(runs.every((r) => r.trigger.kind === 'schedule' && r.trigger.by === 'often'));
      assert.ok(runs.some((r) => r.status === 'succeeded'));
    } finally {
      await open.close();
    }
    const listed = await runCli(['triggers', 'list', '--project', temp.dir, '--json']);
    const [often] = (JSON.parse(listed.stdout) as { triggers: { lastFire?: { kind: string; runId?: string } }[] }).triggers;
    assert.equal(often?.lastFire?.kind, 'trigger.fired');
    assert.match(often?.lastFire?.runId ?? '', /\S+/);
  } finally {
    temp.cleanup();
  }
});
