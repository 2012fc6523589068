import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { openProject } from '../main/runtime/open-project.ts';
import type { RunEvent } from '../main/model/run-events.ts';
import { createTempProject, type TempProject } from './helpers/temp-project.ts';
import { createTestRegistry } from './helpers/test-kinds.ts';

/** A block that throws until it has been called `failures` times (counted in a file, across worker threads). */
function flakyBlock(failures: number, throwLine: string): string {
  return `import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { PermanentError } from 'pipewright';
export default () => {
  const file = ${JSON.stringify('COUNTER')};
  const seen = (existsSync(file) ? Number(readFileSync(file, 'utf8')) : 0) + 1;
  writeFileSync(file, String(seen));
  if (seen <= ${failures}) ${throwLine};
  void PermanentError;
  return [{ attempt: seen }];
};
`;
}

async function runFlaky(temp: TempProject, failures: number, throwLine: string, retry?: Record<string, unknown>) {
  temp.writeFile('blocks/flaky.ts', flakyBlock(failures, throwLine).replace('COUNTER', `${temp.dir}/counter.txt`));
  temp.writePipeline('p', {
    blocks: [
      { id: 'nums', type: 'source', kind: 'test_rows', config: { rows: 1 } },
      { id: 'flaky', type: 'transform', kind: 'typescript', file: 'blocks/flaky.ts', upstream: ['nums'], ...(retry ? { retry } : {}) },
    ],
  });
  const open = await openProject(temp.dir, { kinds: createTestRegistry() });
  try {
    const events: RunEvent[] = [];
    const result = await open.run({ pipeline: await open.loadPipeline('p'), scope: { kind: 'pipeline' }, trigger: { kind: 'test' } }, (e) =>
      events.push(e),
    );
    return { result, events, flaky: result.blocks.find((b) => b.id === 'flaky') };
  } finally {
    await open.close();
  }
}

/** A project whose pipewright.yaml sets no retry at all (the temp-project helper sets one by default). */
function projectWithoutRetry(): TempProject {
  const temp = createTempProject();
  temp.writeFile('pipewright.yaml', stringify({ name: 'test-project', engine: { concurrency: 2, threads: 2 } }));
  return temp;
}

const FAST_RETRY = { retries: 2, delay: 0.01, max_delay: 0.02 };

test('a TypeScript block that throws is retried under its retry: policy and succeeds on a later attempt', async () => {
  const temp = projectWithoutRetry();
  try {
    const { result, events, flaky } = await runFlaky(temp, 1, "throw new Error('upstream API not ready')", FAST_RETRY);
    assert.equal(result.status, 'succeeded', JSON.stringify(flaky));
    assert.equal(flaky?.attempts, 2);
    const retrying = events.find((e) => e.type === 'block.retrying' && e.blockId === 'flaky');
    assert.ok(retrying?.type === 'block.retrying');
    assert.match(retrying.error.message, /upstream API not ready/);
    assert.equal(retrying.error.place?.file, 'blocks/flaky.ts');
  } finally {
    temp.cleanup();
  }
});

test('without any retry: setting, a throw in block code fails on the first attempt', async () => {
  const temp = projectWithoutRetry();
  try {
    const { result, events, flaky } = await runFlaky(temp, 1, "throw new Error('bad row')");
    assert.equal(result.status, 'failed');
    assert.equal(flaky?.attempts, 1);
    assert.equal(events.filter((e) => e.type === 'block.retrying').length, 0);
  } finally {
    temp.cleanup();
  }
});

test("PermanentError from 'pipewright' is never retried, even under a retry: policy", async () => {
  const temp = projectWithoutRetry();
  try {
    const { result, flaky } = await runFlaky(temp, 5, "throw new PermanentError('column amount is text, not a number')", FAST_RETRY);
    assert.equal(result.status, 'failed');
    assert.equal(flaky?.attempts, 1);
    assert.match(flaky?.error?.message ?? '', /^PermanentError: column amount is text/);
    assert.equal(flaky?.error?.retryable, false);
  } finally {
    temp.cleanup();
  }
});

test('any error with permanent: true is not retried either', async () => {
  const temp = projectWithoutRetry();
  try {
    const { flaky } = await runFlaky(temp, 5, "throw Object.assign(new Error('no such customer'), { permanent: true })", FAST_RETRY);
    assert.equal(flaky?.status, 'failed');
    assert.equal(flaky?.attempts, 1);
  } finally {
    temp.cleanup();
  }
});

test('a project-wide engine.retry also retries block code', async () => {
  const temp = createTempProject({ engine: { retry: FAST_RETRY } });
  try {
    const { flaky } = await runFlaky(temp, 2, "throw new Error('flaky')");
    assert.equal(flaky?.status, 'succeeded');
    assert.equal(flaky?.attempts, 3);
  } finally {
    temp.cleanup();
  }
});
