import { test } from 'node:test';
import type { UserError } from '../main/model/errors.ts';
import assert from 'node:assert/strict';
import { openProject, type OpenProject } from '../main/runtime/open-project.ts';
import type { BlockTestResult, RunEvent } from '../main/model/run-events.ts';
import type { Alert } from '../main/alerts/alert-message.ts';
import { createTempProject, type TempProject } from './helpers/temp-project.ts';
import { createTestRegistry } from './helpers/test-kinds.ts';
import { runCli } from './helpers/run-cli.ts';
import path from 'node:path';
import Database from 'better-sqlite3';
import { RunStore } from '../main/history/run-store.ts';
import { versionBefore } from '../main/history/migrations.ts';
import { OUTPUT_STATS_STEP } from '../main/history/output-stats-store.ts';
import { runPipeline } from '../main/engine/run-pipeline.ts';
import { resolveConnection } from '../main/connections/resolve-connection.ts';
import { typescriptSandbox } from '../main/sandbox/code-sandbox.ts';
import { checkPipeline } from '../main/preflight/check-pipeline.ts';

const trigger = { kind: 'test' as const };

/** 14 trips: four hand-made ones with one flaw each, then ten clean ones. */
const TRIPS_SQL = `
select * from (values
  (1, 1, 2, 1.5, TIMESTAMP '2021-01-30 10:00:00', 10),
  (2, 2, 0, 0.0, TIMESTAMP '2021-01-30 11:00:00', 20),
  (3, 3, NULL, -1.0, TIMESTAMP '2021-01-29 12:00:00', 99),
  (3, 1, 1, 2.0, TIMESTAMP '2021-01-28 12:00:00', 10)
) t(trip_id, vendor_id, passenger_count, trip_distance, pickup, zone_id)
union all
select 100 + i, 1, 1, 1.0, TIMESTAMP '2021-01-27 00:00:00', 20 from range(10) r(i)`;

const ZONES_SQL = 'select * from (values (10), (20)) z(location_id)';

async function withProject(
  checks: unknown[],
  body: (ctx: {
    open: OpenProject;
    temp: TempProject;
    run: (vars?: Record<string, unknown>) => Promise<{ events: RunEvent[]; result: Awaited<ReturnType<OpenProject['run']>> }>;
  }) => Promise<void>,
  opts: { settings?: Record<string, unknown>; drift?: unknown; tripsSql?: string; downstream?: boolean; tripsKind?: 'test_rows' } = {},
): Promise<void> {
  const temp = createTempProject(opts.settings);
  temp.writeFile('blocks/trips.sql', opts.tripsSql ?? TRIPS_SQL);
  temp.writeFile('blocks/zones.sql', ZONES_SQL);
  temp.writeFile('blocks/after.sql', 'select count(*) as n from trips');
  temp.writePipeline('p', {
    variables: { n: 10 },
    blocks: [
      { id: 'zones', type: 'source', kind: 'sql', file: 'blocks/zones.sql' },
      opts.tripsKind
        ? { id: 'trips', type: 'source', kind: opts.tripsKind, config: { rows: 3 }, upstream: ['zones'], checks }
        : {
            id: 'trips',
            type: 'transform',
            kind: 'sql',
            file: 'blocks/trips.sql',
            upstream: ['zones'],
            checks,
            ...(opts.drift ? { drift: opts.drift } : {}),
          },
      ...(opts.downstream ? [{ id: 'after', type: 'transform', kind: 'sql', file: 'blocks/after.sql', upstream: ['trips'] }] : []),
    ],
  });
  const open = await openProject(temp.dir, { kinds: createTestRegistry() });
  const run = async (variables: Record<string, unknown> = {}) => {
    const events: RunEvent[] = [];
    const result = await open.run({ pipeline: await open.loadPipeline('p'), scope: { kind: 'pipeline' }, trigger, variables }, (e) =>
      events.push(e),
    );
    return { events, result };
  };
  try {
    await body({ open, temp, run });
  } finally {
    await open.close();
    temp.cleanup();
  }
}

function resultsOf(events: RunEvent[], blockId = 'trips'): BlockTestResult[] {
  const end = events.find((e) => (e.type === 'block.succeeded' || e.type === 'block.failed') && e.blockId === blockId);
  return end && (end.type === 'block.succeeded' || end.type === 'block.failed') ? (end.tests ?? []) : [];
}

function logsOf(events: RunEvent[], blockId = 'trips'): string[] {
  return events.flatMap((e) => (e.type === 'log.written' && e.blockId === blockId ? [`${e.level} ${e.message}`] : []));
}

const failingChecks = [
  { not_null: 'passenger_count', severity: 'warn' },
  { unique: 'trip_id', severity: 'warn' },
  { accepted_values: { column: 'vendor_id', values: [1, 2] }, severity: 'warn' },
  { range: { column: 'trip_distance', min: 0, exclusive: true }, severity: 'warn' },
  { relationships: { column: 'zone_id', to: 'zones', field: 'location_id' }, severity: 'warn' },
  { row_count: { min: 100 }, severity: 'warn' },
  { freshness: { column: 'pickup', within: '1 day' }, severity: 'warn' },
  { sql: 'select * from trips where passenger_count = 0', name: 'no_zero_passengers', severity: 'warn' },
  { range: { column: 'trip_distance', max: 0.5 }, severity: 'warn' },
];

test('each check kind finds its violations, counts them and keeps at most 5 failing rows; warn lets the block succeed', async () => {
  await withProject(failingChecks, async ({ run }) => {
    const { events, result } = await run({ execution_date: '2021-02-05' });
    assert.equal(result.status, 'succeeded', JSON.stringify(result.blocks));
    const byName = Object.fromEntries(resultsOf(events).map((r) => [r.name, r]));
    const failing = (name: string) => {
      const r = byName[name];
      assert.ok(r, `${name} in ${Object.keys(byName).join(', ')}`);
      assert.equal(r.passed, false, name);
      assert.equal(r.severity, 'warn', name);
      assert.equal(r.source, 'check');
      return r;
    };
    assert.equal(failing('not_null(passenger_count)').failing, 1);
    assert.deepEqual(failing('unique(trip_id)').sample, [{ trip_id: 3, duplicate_rows: 2 }]);
    assert.equal(failing('accepted_values(vendor_id in 1, 2)').sample?.[0]?.vendor_id, 3);
    assert.equal(failing('range(0 < trip_distance)').failing, 2);
    assert.equal(failing('relationships(zone_id → zones.location_id)').sample?.[0]?.zone_id, 99);
    assert.match(failing('row_count(≥ 100)').message ?? '', /"row_count":14/);
    assert.match(
      failing('freshness(pickup within 1 day)').message ?? '',
      /"latest":"2021-01-30T11:00:00.000Z","oldest_allowed":"2021-02-04T00:00:00.000Z"/,
    );
    assert.equal(failing('no_zero_passengers').failing, 1);
    const many = failing('range(trip_distance ≤ 0.5)');
    assert.equal(many.failing, 12);
    assert.equal(many.sample?.length, 5, 'at most 5 failing rows are kept');

    const logs = logsOf(events);
    assert.ok(
      logs.includes(
        'warn ⚠ check not_null(passenger_count): 1 failing row, e.g. [{"trip_id":3,"vendor_id":3,"passenger_count":null,"trip_distance":-1,"pickup":"2021-01-29T12:00:00.000Z","zone_id":99}]',
      ),
      logs.join('\n'),
    );
    assert.ok(
      logs.some((l) => l.startsWith('warn ⚠ check range(trip_distance ≤ 0.5): 12 failing rows')),
      logs.join('\n'),
    );
  });
});

test('the same kinds pass on data that holds, each with a ✓ line in the log', async () => {
  const passing = [
    { not_null: ['trip_id', 'vendor_id'] },
    { unique: ['trip_id', 'vendor_id'] },
    { accepted_values: { column: 'vendor_id', values: [1, 2, 3] } },
    { range: { column: 'trip_distance', min: -5, max: 5 } },
    { relationships: { column: 'zone_id', to: 'zones', field: 'location_id' } },
    { row_count: { min: 1, max: 14 } },
    { freshness: { column: 'pickup', within: '7 days' } },
    { sql: 'select * from trips where trip_id < 0', name: 'ids_positive' },
  ];
  const tripsSql = TRIPS_SQL.replace(', 99)', ', 20)');
  await withProject(
    passing,
    async ({ run }) => {
      const { events, result } = await run({ execution_date: '2021-02-05' });
      assert.equal(result.status, 'succeeded', JSON.stringify(result.blocks));
      const results = resultsOf(events);
      assert.equal(results.length, 8);
      for (const r of results) assert.equal(r.passed, true, `${r.name}: ${r.message}`);
      assert.ok(logsOf(events).includes('info ✓ check freshness(pickup within 7 days)'), logsOf(events).join('\n'));
    },
    { tripsSql },
  );
});

test('a failing check with severity fail fails the block, publishes nothing, and the history keeps its failing rows', async () => {
  await withProject(
    [{ not_null: 'trip_id' }, { accepted_values: { column: 'vendor_id', values: [1, 2] } }],
    async ({ open, run }) => {
      const { events, result } = await run();
      const byId = Object.fromEntries(result.blocks.map((b) => [b.id, b]));
      assert.equal(byId.trips?.status, 'failed');
      assert.equal(byId.after?.status, 'upstream_failed');
      assert.match(byId.trips?.error?.message ?? '', /^check accepted_values\(vendor_id in 1, 2\) failed: 1 failing row/);
      assert.ok(logsOf(events).some((l) => l.startsWith('error ✗ check accepted_values(vendor_id in 1, 2): 1 failing row')));
      assert.equal(await open.workspace.latestOutput('p', 'trips'), undefined);
      const stored = open.store.getRun(result.runId)?.blocks.find((b) => b.blockId === 'trips')?.tests ?? [];
      assert.deepEqual(
        stored.map((t) => [t.name, t.passed, t.failing]),
        [
          ['not_null(trip_id)', true, 0],
          ['accepted_values(vendor_id in 1, 2)', false, 1],
        ],
      );
      assert.equal(stored[1]?.sample?.[0]?.trip_id, 3);
    },
    { downstream: true },
  );
});

test('a check naming a column the block does not produce is refused before the run starts, with the column, the block and its line', async () => {
  await withProject([{ not_null: 'passengers' }], async ({ open, run }) => {
    await assert.rejects(run(), (error: UserError) => {
      assert.match(
        error.message,
        /^pipelines\/p\/pipeline\.yaml:\d+:\d+ blocks\[1\]\.checks\[0\]\.not_null: check not_null\(passengers\): block trips has no column passengers \(it has trip_id, vendor_id/,
      );
      assert.equal(error.place.block, 'trips');
      return true;
    });
    assert.deepEqual(open.store.listRuns({ pipelineId: 'p', limit: 10, offset: 0 }), [], 'nothing ran');
  });
  await withProject([{ relationships: { column: 'zone_id', to: 'zones', field: 'zone' } }], async ({ run }) => {
    await assert.rejects(run(), /block zones has no column zone \(it has location_id\)/);
  });
});

test('a check the design-time schema cannot judge is still refused by the run itself, with the column and the block', async () => {
  // Columns declared nowhere and a kind that cannot tell them: only the output says what the block produces.
  await withProject(
    [{ not_null: 'passengers' }],
    async ({ run }) => {
      const { result } = await run();
      const trips = result.blocks.find((b) => b.id === 'trips');
      assert.equal(trips?.status, 'failed');
      assert.match(trips?.error?.message ?? '', /check not_null\(passengers\): block trips has no column passengers \(it has i/);
      assert.equal(trips?.error?.place?.block, 'trips');
    },
    { tripsKind: 'test_rows' },
  );
});

test('checks that cannot be right are refused at load with the line: a relationship to a non-upstream, a check on an export, an unknown kind', async () => {
  await withProject([{ relationships: { column: 'zone_id', to: 'elsewhere', field: 'id' } }], async ({ open }) => {
    await assert.rejects(open.loadPipeline('p'), /pipeline\.yaml:\d+:\d+ .*checks.*elsewhere is not an upstream of block trips/);
  });
  const temp = createTempProject();
  try {
    temp.writeFile('blocks/zones.sql', ZONES_SQL);
    temp.writePipeline('p', {
      blocks: [
        { id: 'zones', type: 'source', kind: 'sql', file: 'blocks/zones.sql' },
        {
          id: 'save',
          type: 'export',
          kind: 'local_file',
          upstream: ['zones'],
          config: { path: 'out/z.csv', format: 'csv' },
          checks: [{ not_null: 'location_id' }],
        },
      ],
    });
    const open = await openProject(temp.dir, { kinds: createTestRegistry() });
    await assert.rejects(open.loadPipeline('p'), /checks: block save is an export: it has no output to check/).finally(() => open.close());
  } finally {
    temp.cleanup();
  }
  await withProject([{ not_nul: 'x' }], async ({ open }) => {
    await assert.rejects(open.loadPipeline('p'), /a check names exactly one kind \(not_null, unique, .*\); found none/);
  });
  await withProject([{ range: { column: 'x' } }], async ({ open }) => {
    await assert.rejects(open.loadPipeline('p'), /a range needs min, max or both/);
  });
});

test('a check that cannot run (a type mismatch) fails the block with the database message, even at severity warn', async () => {
  await withProject([{ accepted_values: { column: 'vendor_id', values: ['one', 'two'] }, severity: 'warn' }], async ({ run }) => {
    const { events, result } = await run();
    const trips = result.blocks.find((b) => b.id === 'trips');
    assert.equal(trips?.status, 'failed');
    assert.match(trips?.error?.message ?? '', /the check could not run: Conversion Error: .*'one'/);
    assert.equal(resultsOf(events)[0]?.severity, 'fail');
  });
});

const rowsSql = (n: number, extra = '', nulls = 0) =>
  `select i, case when i < ${nulls} then null else i end as v${extra} from range(${n}) r(i)`;

test('drift: the first run has no baseline and says so; rows beyond the tolerance warn; schema changes fail; the baseline is the last successful run', async () => {
  await withProject(
    [],
    async ({ open, temp, run }) => {
      const first = await run();
      assert.equal(first.result.status, 'succeeded');
      assert.ok(
        logsOf(first.events).includes('info ✓ drift baseline: no baseline: this is the first successful run of the block to compare with'),
        logsOf(first.events).join('\n'),
      );

      temp.writeFile('blocks/trips.sql', rowsSql(115));
      const within = await run();
      assert.deepEqual(
        resultsOf(within.events).map((r) => [r.name, r.passed]),
        [
          ['rows', true],
          ['schema', true],
          ['null_rate', true],
        ],
      );

      temp.writeFile('blocks/trips.sql', rowsSql(200));
      const grown = await run();
      assert.equal(grown.result.status, 'succeeded', 'rows drift only warns');
      assert.ok(
        logsOf(grown.events).includes('warn ⚠ drift rows: 115 → 200 rows (+73.9%, tolerance 20%)'),
        logsOf(grown.events).join('\n'),
      );

      temp.writeFile('blocks/trips.sql', rowsSql(200, ', 1 as extra'));
      const widened = await run();
      const trips = widened.result.blocks.find((b) => b.id === 'trips');
      assert.equal(trips?.status, 'failed');
      assert.equal(trips?.error?.message, 'drift schema failed: added extra INTEGER');
      assert.equal((await open.workspace.latestOutput('p', 'trips'))?.rows, 200, 'the drifted output is not published');

      // Compared with run 3 (the last success), not with the failed run 4.
      temp.writeFile('blocks/trips.sql', rowsSql(200, '', 100));
      const nulls = await run();
      assert.equal(nulls.result.status, 'succeeded');
      const byName = Object.fromEntries(resultsOf(nulls.events).map((r) => [r.name, r]));
      assert.equal(byName.schema?.passed, true);
      assert.equal(byName.rows?.passed, true);
      assert.equal(byName.null_rate?.passed, false);
      assert.equal(byName.null_rate?.message, 'v 0.0% → 50.0% (tolerance 10%)');

      const baseline = open.store.previousOutputStats('p', 'trips');
      assert.equal(baseline?.runId, nulls.result.runId);
      assert.equal(baseline?.stats.rows, 200);
      assert.deepEqual(baseline?.stats.columns, [
        { name: 'i', type: 'BIGINT' },
        { name: 'v', type: 'BIGINT' },
      ]);
      assert.equal(baseline?.stats.nullRates?.v, 0.5);
    },
    { tripsSql: rowsSql(100), drift: { rows: '20%', schema: 'fail', null_rate: '10%' } },
  );
});

test('drift raises a drift alert naming the block and what changed; a run without drift raises none', async () => {
  const desktop: Alert[] = [];
  await withProject(
    [],
    async ({ open, temp, run }) => {
      open.alerts.onAlert((alert) => desktop.push(alert));
      await run();
      await run();
      assert.equal(desktop.length, 0, 'the same output twice is no drift');
      temp.writeFile('blocks/trips.sql', rowsSql(10));
      const shrunk = await run();
      assert.equal(shrunk.result.status, 'succeeded');
      assert.equal(desktop.length, 1);
      assert.equal(desktop[0]?.event, 'drift');
      assert.equal(desktop[0]?.blockId, 'trips');
      assert.equal(desktop[0]?.title, 'Pipeline p: block trips drifted from its last successful run');
      assert.equal(desktop[0]?.error, 'rows: 100 → 10 rows (-90.0%, tolerance 50%)');
    },
    { tripsSql: rowsSql(100), drift: { rows: '50%' }, settings: { alerts: [{ on: ['drift'], desktop: true }] } },
  );
});

test('the CLI prints each check as it runs, and pipewright history shows the results with up to 5 failing rows', async () => {
  const temp = createTempProject();
  try {
    temp.writeFile('blocks/trips.sql', TRIPS_SQL);
    temp.writeFile('blocks/zones.sql', ZONES_SQL);
    temp.writePipeline('p', {
      blocks: [
        { id: 'zones', type: 'source', kind: 'sql', file: 'blocks/zones.sql' },
        {
          id: 'trips',
          type: 'transform',
          kind: 'sql',
          file: 'blocks/trips.sql',
          upstream: ['zones'],
          checks: [{ not_null: 'trip_id' }, { range: { column: 'trip_distance', max: 0.5 }, severity: 'warn' }],
        },
      ],
    });
    const run = await runCli(['run', 'p', '--project', temp.dir, '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /✓ check not_null\(trip_id\)/);
    assert.match(run.stderr, /⚠ check range\(trip_distance ≤ 0\.5\): 12 failing rows, e\.g\./);
    const runId = (JSON.parse(run.stdout) as { runId: string }).runId;
    const history = await runCli(['history', runId, '--project', temp.dir]);
    assert.equal(history.code, 0, history.stderr);
    const lines = history.stdout.split('\n');
    const at = lines.indexOf('    ⚠ check range(trip_distance ≤ 0.5): 12 failing rows');
    assert.ok(at > 0, history.stdout);
    assert.ok(lines.includes('    ✓ check not_null(trip_id)'), history.stdout);
    assert.equal(lines.slice(at + 1).filter((l) => l.startsWith('      {')).length, 5, history.stdout);
  } finally {
    temp.cleanup();
  }
});

test('a history written before output stats were kept is upgraded in place, and its runs stay readable', async () => {
  const temp = createTempProject();
  try {
    const file = path.join(temp.dir, '.pipewright', 'history.sqlite');
    RunStore.open(file).close();
    // Turn the fresh file back into a schema-3 history: the step before block_stats (and step 5, children, after it).
    const raw = new Database(file);
    raw.exec(`DROP TABLE block_stats; DROP TRIGGER child_counts_on_insert; DROP TRIGGER child_counts_on_status; DROP TRIGGER child_counts_on_delete;
      DROP TABLE child_counts; DROP INDEX block_runs_children; DROP INDEX block_runs_top_level;
      ALTER TABLE block_runs DROP COLUMN child_index; ALTER TABLE block_runs DROP COLUMN parent_id;`);
    raw.pragma(`user_version = ${versionBefore(OUTPUT_STATS_STEP)}`);
    raw.close();
    const store = RunStore.open(file);
    try {
      const at = Date.now();
      store.record({
        type: 'run.started',
        runId: 'r1',
        pipelineId: 'p',
        scope: { kind: 'pipeline' },
        blocks: ['b'],
        trigger,
        variables: {},
        pipelineHash: '',
        codeHash: '',
        at,
      });
      store.record({ type: 'block.started', runId: 'r1', blockId: 'b', attempt: 1, at });
      const stats = { rows: 3, columns: [{ name: 'i', type: 'BIGINT' }] };
      store.record({ type: 'block.succeeded', runId: 'r1', blockId: 'b', attempt: 1, durationMs: 1, rowsOut: 3, stats, at });
      assert.deepEqual(store.previousOutputStats('p', 'b'), { runId: 'r1', stats });
      assert.equal(store.previousOutputStats('p', 'other'), undefined);
    } finally {
      store.close();
    }
  } finally {
    temp.cleanup();
  }
});

test('a run history that cannot be read leaves drift uncompared, says so, and the block still succeeds', async () => {
  await withProject(
    [],
    async ({ open }) => {
      const events: RunEvent[] = [];
      const recorder = {
        record: (e: RunEvent) => events.push(e),
        heartbeat: () => undefined,
        previousOutputStats: () => {
          throw new Error('database disk image is malformed');
        },
      };
      const pipeline = await open.loadPipeline('p');
      const result = await runPipeline(
        { project: open.project, pipeline, scope: { kind: 'pipeline' }, trigger },
        { workspace: open.workspace, kinds: createTestRegistry(), connections: resolveConnection, sandbox: typescriptSandbox, recorder },
      );
      assert.equal(result.status, 'succeeded');
      assert.ok(
        logsOf(events).includes('warn drift not compared: the run history could not be read (database disk image is malformed)'),
        logsOf(events).join('\n'),
      );
      assert.deepEqual(resultsOf(events), [], 'no drift result claims a first run');
    },
    { tripsSql: rowsSql(10), drift: { rows: '20%' } },
  );
});

test("pipewright check warns when a check names a column the block's last output lacks, before any run", async () => {
  await withProject([{ not_null: 'trip_id' }], async ({ open, temp }) => {
    const before = await checkPipeline(open, 'p');
    assert.equal(
      before.blocks.some((b) => b.blockId === 'trips'),
      false,
      'no output yet: no schema to check against',
    );
    await open.run({ pipeline: await open.loadPipeline('p'), scope: { kind: 'pipeline' }, trigger });
    assert.deepEqual(blockItems(await checkPipeline(open, 'p')), [
      { name: 'checks', status: 'ok', detail: 'every column the checks name is in the last output' },
    ]);
    const pipeline = {
      blocks: [
        { id: 'zones', type: 'source', kind: 'sql', file: 'blocks/zones.sql' },
        {
          id: 'trips',
          type: 'transform',
          kind: 'sql',
          file: 'blocks/trips.sql',
          upstream: ['zones'],
          checks: [{ not_null: 'passengers' }, { relationships: { column: 'zone_id', to: 'zones', field: 'zone' } }],
        },
      ],
    };
    temp.writePipeline('p', pipeline);
    assert.deepEqual(blockItems(await checkPipeline(open, 'p')), [
      { name: 'checks', status: 'warn', detail: 'check not_null(passengers): the last output of trips has no column passengers' },
      { name: 'checks', status: 'warn', detail: 'check relationships(zone_id → zones.zone): the last output of zones has no column zone' },
    ]);
  });
});

function blockItems(report: Awaited<ReturnType<typeof checkPipeline>>) {
  return report.blocks.find((b) => b.blockId === 'trips')?.items;
}
