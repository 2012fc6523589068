// The floor under a fan-out child: the one DuckDB statement a child of the fan-out bench runs (its checked INSERT into
// the in-memory stage of the shared table, prepared then run, on 4 connections like the bench's concurrency 4), timed
// alone beside a fresh workspace file. Prints one JSON line: ms per child. What the engine adds is its overhead.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

const n = Number(process.argv[2]);
if (!Number.isInteger(n) || n < 1) throw new Error(`usage: fan-out-floor.ts <children>, not ${process.argv[2]}`);
const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-floor-'));
const instance = await DuckDBInstance.create(path.join(dir, 'workspace.duckdb'), { threads: '2', preserve_insertion_order: 'false' });
try {
  const setup = await instance.connect();
  await setup.run("ATTACH ':memory:' AS _pw_stage; CREATE TABLE _pw_stage.shared (_pw_child INTEGER, i INTEGER, doubled INTEGER)");
  setup.closeSync();
  const signature = 'STRUCT(i INTEGER, doubled INTEGER)';
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      const conn = await instance.connect();
      for (let i = next++; i < n; i = next++) {
        const prepared = await conn.prepare(
          `INSERT INTO _pw_stage.shared SELECT CASE WHEN typeof(struct_pack(*COLUMNS(*))) = '${signature}' THEN ${i} ELSE error('x') END, * ` +
            `FROM (select ${i} as i, ${i} * 2 as doubled\n)`,
        );
        await prepared.run();
        prepared.destroySync();
      }
      conn.closeSync();
    }),
  );
  console.log(JSON.stringify({ n, perChildMs: (performance.now() - started) / n }));
} finally {
  instance.closeSync();
  rmSync(dir, { recursive: true, force: true });
}
