import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFileServer } from './helpers/http-server.ts';
import { writeYellowTaxiCsv } from './helpers/taxi-csv.ts';
import { runCli } from './helpers/run-cli.ts';
import { referencedVariables, renderConfig, renderTemplate } from '../main/model/templating.ts';

// A month backfill of the example's yellow_taxi_etl as a user types it (README): each run loads its own month, its
// URL made from the run's interval_start by a Jinja strftime, as in Mage.
test('a month backfill of yellow_taxi_etl loads each month from its own URL, offline', async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'pw-backfill-month-'));
  const server = await startFileServer();
  try {
    const rows: Record<string, number> = {};
    for (const [month, count] of [
      [1, 3_000],
      [2, 4_000],
    ] as const) {
      const name = `yellow_tripdata_2021-0${month}.csv.gz`;
      rows[name] = (await writeYellowTaxiCsv(path.join(root, name), { rows: count, seed: month, year: 2021, month })).rows;
      server.serve(`/${name}`, { file: path.join(root, name) });
    }
    const project = path.join(root, 'nyc');
    const init = await runCli(['init', project, '--example', 'nyc-taxi']);
    assert.equal(init.code, 0, init.stderr);

    const backfill = await runCli([
      'backfill',
      'yellow_taxi_etl',
      '--project',
      project,
      '--from',
      '2021-01-01',
      '--to',
      '2021-02-01',
      '--every',
      'month',
      '--var',
      "month={{ interval_start.strftime('%Y-%m') }}",
      '--var',
      `source_url=${server.url}/yellow_tripdata_{{ month }}.csv.gz`,
    ]);
    assert.equal(backfill.code, 0, backfill.stderr + backfill.stdout);
    for (const name of Object.keys(rows)) assert.equal(server.requests(`/${name}`), 1, `${name} downloaded once`);

    const history = JSON.parse((await runCli(['history', '--project', project, '--json'])).stdout) as {
      runs: { id: string; status: string }[];
    };
    assert.deepEqual(
      history.runs.map((r) => r.status),
      ['succeeded', 'succeeded'],
    );
    // Each run loaded its own month: its variables say which URL, its load block how many rows (the months differ).
    const loaded: { month: unknown; url: string; rows: number | null | undefined }[] = [];
    for (const run of history.runs) {
      const detail = JSON.parse((await runCli(['history', run.id, '--project', project, '--json'])).stdout) as {
        run: { variables: Record<string, unknown>; blocks: { blockId: string; rowsOut?: number | null }[] };
      };
      const load = detail.run.blocks.find((b) => b.blockId === 'load_yellow_taxi');
      loaded.push({ month: detail.run.variables.month, url: String(detail.run.variables.source_url), rows: load?.rowsOut });
    }
    loaded.sort((a, b) => String(a.month).localeCompare(String(b.month)));
    assert.deepEqual(
      loaded,
      ['2021-01', '2021-02'].map((month) => {
        const name = `yellow_tripdata_${month}.csv.gz`;
        return { month, url: `${server.url}/${name}`, rows: rows[name] };
      }),
    );
  } finally {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('a bad strftime format fails naming the variable and the directive', async () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'pw-backfill-month-'));
  try {
    const project = path.join(root, 'nyc');
    assert.equal((await runCli(['init', project, '--example', 'nyc-taxi'])).code, 0);
    const run = await runCli(['run', 'yellow_taxi_etl', '--project', project, '--var', "month={{ interval_start.strftime('%Y-%Q') }}"]);
    assert.notEqual(run.code, 0);
    assert.match(run.stderr, /variables\.month: \{\{ interval_start\.strftime\('%Y-%Q'\) \}\}: unknown strftime directive '%Q'/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("templates format dates as Jinja's strftime does, and a bad one names the config field", () => {
  const variables = { interval_start: '2021-03-01', execution_date: '2021-03-05T04:05:06.000Z', n: 3 };
  assert.equal(
    renderTemplate(`{{ interval_start.strftime('%Y-%m') }}/{{ execution_date.strftime("%Y%m%d %H:%M:%S %j %b %%") }}`, variables),
    '2021-03/20210305 04:05:06 064 Mar %',
  );
  assert.equal(renderConfig("{{ interval_start.strftime('%y') }}", variables), '21');
  assert.deepEqual(referencedVariables("{{ interval_start.strftime('%Y') }}"), ['interval_start']);
  assert.throws(
    () => renderConfig({ url: "x_{{ interval_start.strftime('%Q') }}" }, variables, {}, 'config'),
    /^UserError: config\.url: \{\{ interval_start\.strftime\('%Q'\) \}\}: unknown strftime directive '%Q'/,
  );
  assert.throws(() => renderTemplate("{{ n.strftime('%Y') }}", variables), /3 is not a date/);
});
