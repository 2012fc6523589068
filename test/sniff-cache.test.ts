import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunEvent } from '../main/model/run-events.ts';
import { scanLineEnds } from '../main/blocks/csv-pinned-read.ts';
import { startFileServer, type FileServer } from './helpers/http-server.ts';
import { sqlBlock, withPipeline, type ProjectRun } from './helpers/run-project.ts';
import { createTempProject } from './helpers/temp-project.ts';

// A download read through a file view keeps what its sniff and line scan found (main/blocks/sniff-cache.ts): a warm
// run of an unchanged month does not read the file twice before its reader parses it.

let server: FileServer;
before(async () => (server = await startFileServer()));
after(async () => server.close());

function tripsCsv(rows: number): string {
  return ['id,passengers', ...Array.from({ length: rows }, (_, i) => `${i},${i % 3}`)].join('\n') + '\n';
}

const pipeline = (url: string) => ({
  blocks: [
    { id: 'load', type: 'source', kind: 'http_file', config: { url, format: 'csv', columns: { id: 'BIGINT', passengers: 'BIGINT' } } },
    sqlBlock('clean', ['load']),
  ],
});
const files = { 'blocks/clean.sql': 'select * from load where passengers > 0' };

async function rowsOfLoad(ctx: ProjectRun): Promise<number | undefined> {
  const result = await ctx.run({ pipeline: await ctx.open.loadPipeline('p'), scope: { kind: 'pipeline' }, trigger: { kind: 'test' } });
  assert.equal(result.status, 'succeeded', JSON.stringify(result.blocks));
  const done = ctx.events.find(
    (e): e is Extract<RunEvent, { type: 'block.succeeded' }> =>
      e.type === 'block.succeeded' && e.runId === result.runId && e.blockId === 'load',
  );
  return done?.rowsOut;
}

const entries = (ctx: ProjectRun) => {
  const dir = path.join(ctx.open.project.stateDir, 'cache', 'sniff');
  return readdirSync(dir).map((name) => path.join(dir, name));
};

test('a warm run reuses the sniff and row count of an unchanged download; a new download is read afresh', async () => {
  server.serve('/sniff/a.csv', Buffer.from(tripsCsv(300)));
  await withPipeline(
    pipeline(`${server.url}/sniff/a.csv`),
    async (ctx) => {
      assert.equal(await rowsOfLoad(ctx), 300);
      const [entry, ...more] = entries(ctx);
      assert.ok(entry && more.length === 0, 'one entry for the one file');
      // The entry is what the next run believes: a count planted in it shows that the run did not scan the file again.
      const facts = JSON.parse(readFileSync(entry, 'utf8')) as { scan: { lines: number } };
      assert.equal(facts.scan.lines, 301);
      writeFileSync(entry, JSON.stringify({ ...facts, scan: { ...facts.scan, lines: 43 } }));
      assert.equal(await rowsOfLoad(ctx), 42);

      // The server's file changes: a new download is a new file, sniffed and counted again.
      server.serve('/sniff/a.csv', Buffer.from(tripsCsv(500)));
      assert.equal(await rowsOfLoad(ctx), 500);
      assert.equal(entries(ctx).length, 2);
    },
    { files },
  );
});

test('a torn or foreign cache entry is ignored: the file is sniffed again and the entry rewritten', async () => {
  server.serve('/sniff/b.csv', Buffer.from(tripsCsv(200)));
  await withPipeline(
    pipeline(`${server.url}/sniff/b.csv`),
    async (ctx) => {
      assert.equal(await rowsOfLoad(ctx), 200);
      const [entry] = entries(ctx);
      assert.ok(entry);
      for (const text of ['{"sniffed": {"colum', '{"sniffed": 1, "scan": {"lines": 7}}', 'null']) {
        writeFileSync(entry, text);
        assert.equal(await rowsOfLoad(ctx), 200, text);
        assert.equal((JSON.parse(readFileSync(entry, 'utf8')) as { scan: { lines: number } }).scan.lines, 201);
      }
    },
    { files },
  );
});

test('the line scan says whether the file holds a quote, so the unclosed-quote check need not read it again', async () => {
  const temp = createTempProject();
  try {
    const cases: [string, string, boolean | undefined][] = [
      ['plain.csv', 'a,b\n1,2\n', false],
      ['quoted.csv', 'a,b\n1,"x"\n', true],
      ['unclosed.csv', 'a,b\n1,"x\n2,3\n', true],
      ['blank-line.csv', 'a,b\n\n1,"x"\n', undefined], // the scan stops at the blank line: not known
    ];
    for (const [name, text, hasQuote] of cases) {
      const file = path.join(temp.dir, name);
      writeFileSync(file, text);
      assert.equal((await scanLineEnds(file)).hasQuote, hasQuote, name);
    }
  } finally {
    temp.cleanup();
  }
});
