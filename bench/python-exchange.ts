// `node --import tsx bench/python-exchange.ts`: a Python identity block over 1M rows × 8 columns (integers with and
// without NULLs, double, text, timestamp, date, decimal, boolean), to time the exchange between DuckDB and pandas.
// Uses Debian's /usr/bin/python3 (pandas, no pyarrow: the CSV exchange) unless BENCH_PYTHON names another.
// Prints the Python process's wall and CPU time after reading and after writing, its peak RSS, and the block's time.
// BENCH_STREAM=1 runs the streaming form instead (a parameter typed Iterator[pd.DataFrame], batches yielded back).
import { withPipeline } from '../test/helpers/run-project.ts';

const ROWS = Number(process.env.BENCH_ROWS ?? 1_000_000);
const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';

const sql = `select range as id, case when range % 10 = 0 then null else range * 7 end as maybe, range / 3.0::DOUBLE as x,
  'name_' || range as s, TIMESTAMP '2024-01-01' + to_seconds(range) as ts, DATE '2000-01-01' + (range % 5000)::INTEGER as d,
  (range % 100000 / 100)::DECIMAL(12,2) as amount, range % 2 = 0 as flag from range(${ROWS})`;
const code = `import resource, time
T0 = time.time()


def usage(what):
    r = resource.getrusage(resource.RUSAGE_SELF)
    print('%s: %.1f s wall, %.1f s CPU, peak RSS %d MB' % (what, time.time() - T0, r.ru_utime + r.ru_stime, r.ru_maxrss // 1024))


@transform
def same(df):
    usage('python read %d rows (%d MB in pandas)' % (len(df), df.memory_usage(deep=True).sum() // 2**20))
    return df


@test
def written(output):
    usage('python wrote them')
`;

const streamCode = `import resource, time
from typing import Iterator
import pandas as pd
T0 = time.time()


@transform
def same(batches: Iterator[pd.DataFrame]):
    n = 0
    for batch in batches:
        n += len(batch)
        yield batch
    r = resource.getrusage(resource.RUSAGE_SELF)
    print('python streamed %d rows: %.1f s wall, %.1f s CPU, peak RSS %d MB' % (n, time.time() - T0, r.ru_utime + r.ru_stime, r.ru_maxrss // 1024))
`;

await withPipeline(
  {
    blocks: [
      { id: 'src', type: 'source', kind: 'sql', file: 'blocks/src.sql' },
      { id: 'same', type: 'transform', kind: 'python', file: 'blocks/same.py', upstream: ['src'] },
    ],
  },
  async (ctx) => {
    const result = await ctx.run(
      { pipeline: await ctx.open.loadPipeline('p'), scope: { kind: 'pipeline' }, trigger: { kind: 'test' } },
      (e) => {
        if (e.type === 'log.written' && e.blockId === 'same' && e.message.startsWith('python ')) console.log(e.message);
        if (e.type === 'block.succeeded' && e.blockId === 'same') console.log(`block: ${(e.durationMs / 1000).toFixed(1)} s`);
        if (e.type === 'block.failed') console.log(`${e.blockId} failed: ${e.error.message}`);
      },
    );
    if (result.status !== 'succeeded') process.exitCode = 1;
  },
  { settings: { python: PYTHON }, files: { 'blocks/src.sql': sql, 'blocks/same.py': process.env.BENCH_STREAM ? streamCode : code } },
);
