import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Catalog } from '../main/cloud/bigquery-emulator/catalog.ts';

// Run inside a pipeline's process (no `pipewright sandbox`), the emulator's DuckDB shares that process's memory: with
// DuckDB's default limit (80% of RAM) a 5M-row load job pushed the run's peak RSS to 853 MB (bench example-memory).
test("the BigQuery emulator's DuckDB has a memory limit of its own, so large load jobs spill instead of growing", async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pw-bq-mem-'));
  const catalog = await Catalog.open(dir);
  try {
    const limit = await catalog.exclusive(async (conn) => {
      const reader = await conn.runAndReadAll(`SELECT current_setting('memory_limit') AS v`);
      return String(reader.getRowObjectsJS()[0]?.v);
    });
    const match = /^([\d.]+) (KiB|MiB|GiB)$/.exec(limit);
    assert.ok(match, `a readable limit: ${limit}`);
    const mib = Number(match[1]) * { KiB: 1 / 1024, MiB: 1, GiB: 1024 }[match[2] as 'KiB' | 'MiB' | 'GiB'];
    assert.ok(mib <= 256, `the emulator may use ${limit}`);
  } finally {
    await catalog.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
