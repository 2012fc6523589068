import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { redactUrlSecrets } from '../main/model/redact-url.ts';
import { formatActivity } from '../main/orchestration/scheduler-activity.ts';
import { REDACTED, redactVariables } from '../main/model/redact-variables.ts';
import { openProject } from '../main/runtime/open-project.ts';
import { createTempProject } from './helpers/temp-project.ts';
import { runCli } from './helpers/run-cli.ts';

const CASES: [string, string][] = [
  ['https://alice:s3cret@example.com/data.csv', 'https://alice:••••@example.com/data.csv'],
  ['https://ghp_abc123@github.com/o/r.git', 'https://••••@github.com/o/r.git'],
  [
    'https://acct.blob.core.windows.net/c/f.csv?sv=2022&sig=AbC%2Bd&se=2030',
    'https://acct.blob.core.windows.net/c/f.csv?sv=2022&sig=••••&se=2030',
  ],
  [
    'https://s3.amazonaws.com/b/k?X-Amz-Credential=AKIA%2F1&X-Amz-Signature=ff00&X-Amz-Expires=60',
    'https://s3.amazonaws.com/b/k?X-Amz-Credential=••••&X-Amz-Signature=••••&X-Amz-Expires=60',
  ],
  ['http://h/api?api_key=k1&token=t2&access_token=t3&page=2#frag', 'http://h/api?api_key=••••&token=••••&access_token=••••&page=2#frag'],
  ['downloading postgres://etl:pw@db:5432/x failed: refused', 'downloading postgres://etl:••••@db:5432/x failed: refused'],
  ['no url here, key=value stays', 'no url here, key=value stays'],
  ['https://example.com/plain.csv?year=2024', 'https://example.com/plain.csv?year=2024'],
];

test('credentials in URLs are masked wherever they appear in a text', () => {
  for (const [input, expected] of CASES) assert.equal(redactUrlSecrets(input), expected, input);
});

test('a variable holding a URL with credentials is stored masked as a whole (a retry resolves it again)', () => {
  const stored = redactVariables({ source: 'https://u:p@h/x.csv', signed: 'https://h/x?sig=abc', plain: 'https://h/x.csv', n: 3 });
  assert.deepEqual(stored, { source: REDACTED, signed: REDACTED, plain: 'https://h/x.csv', n: 3 });
});

test('a run given a signed URL keeps it out of the history file, the logs, the errors and --json; state files are private', async () => {
  const temp = createTempProject();
  const secretUrl = 'https://alice:pa55word@files.example.com/export.csv?sig=SIGNATURE123&token=TOKEN456';
  temp.writePipeline('p', {
    variables: { source_url: 'https://example.com/x.csv' },
    blocks: [
      { id: 'src', type: 'source', kind: 'local_file', config: { path: 'data/one.csv' } },
      { id: 'fetch', type: 'transform', kind: 'sql', file: 'blocks/fetch.sql', upstream: ['src'] },
    ],
  });
  temp.writeFile('data/one.csv', 'a\n1\n');
  temp.writeFile('blocks/fetch.sql', "select * from read_csv('{{ source_url }}')\n");
  try {
    const result = await runCli(['run', 'p', '--project', temp.dir, '--json', '--var', `source_url=${secretUrl}`]);
    assert.equal(result.code, 1, result.stderr);
    const printed = result.stdout + result.stderr;
    assert.match(
      printed,
      /alice:••••@files\.example\.com\/export\.csv\?sig=••••&token=••••: SQL has no network/,
      'the error still names the URL',
    );
    for (const secret of ['pa55word', 'SIGNATURE123', 'TOKEN456']) {
      assert.ok(!printed.includes(secret), `${secret} printed`);
      for (const file of readdirSync(path.join(temp.dir, '.pipewright'))) {
        const full = path.join(temp.dir, '.pipewright', file);
        if (statSync(full).isFile()) assert.ok(!readFileSync(full).includes(secret), `${secret} stored in ${file}`);
      }
    }
    const history = await runCli(['history', '--project', temp.dir, '--json']);
    assert.ok(!/pa55word|SIGNATURE123/.test(history.stdout));

    const state = path.join(temp.dir, '.pipewright');
    assert.equal(statSync(state).mode & 0o777, 0o700);
    for (const file of ['history.sqlite', 'workspace.duckdb']) assert.equal(statSync(path.join(state, file)).mode & 0o777, 0o600, file);
  } finally {
    temp.cleanup();
  }
});

test('opening a project made before fixes its state folder and files to owner-only', async () => {
  const temp = createTempProject();
  const state = path.join(temp.dir, '.pipewright');
  mkdirSync(state, { mode: 0o755 });
  chmodSync(state, 0o755);
  writeFileSync(path.join(state, 'history.sqlite'), '');
  chmodSync(path.join(state, 'history.sqlite'), 0o644);
  const open = await openProject(temp.dir);
  try {
    assert.equal(statSync(state).mode & 0o777, 0o700);
    for (const file of readdirSync(state)) {
      const info = statSync(path.join(state, file));
      if (info.isFile()) assert.equal(info.mode & 0o777, 0o600, file);
    }
  } finally {
    await open.close();
    temp.cleanup();
  }
});

test('schedule log lines mask URL credentials in the messages they quote', () => {
  const line = formatActivity(
    { type: 'problem', pipelineId: 'p', message: 'cannot reach https://etl:hunter2@db.example.com/x?token=abc' },
    0,
  );
  assert.equal(line, '1970-01-01T00:00:00Z problem in pipeline p: cannot reach https://etl:••••@db.example.com/x?token=••••');
});
