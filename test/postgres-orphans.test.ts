import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalPostgres } from '../main/postgres/local-server.ts';
import { findPostgresBinaries } from '../main/postgres/binaries.ts';
import { findOrphanedServers } from '../main/postgres/orphan-servers.ts';
import { waitUntil } from './helpers/wait-until.ts';

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

test(
  'a local Postgres whose folder was deleted under it is stopped when the next one starts',
  { skip: process.platform !== 'linux' && 'reads /proc' },
  async () => {
    const { postgres } = await findPostgresBinaries();
    const gone = mkdtempSync(path.join(os.tmpdir(), 'pw-orphan-'));
    const next = mkdtempSync(path.join(os.tmpdir(), 'pw-next-'));
    const orphan = LocalPostgres.at(path.join(gone, '.pipewright'));
    const survivor = LocalPostgres.at(path.join(next, '.pipewright'));
    try {
      const info = await orphan.ensureRunning('secret-1');
      const pid = Number(readFileSync(path.join(info.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      assert.equal((await findOrphanedServers(postgres)).includes(pid), false, 'a server with its folder is not an orphan');
      rmSync(gone, { recursive: true, force: true }); // what a killed test run's cleanup leaves behind
      assert.ok((await findOrphanedServers(postgres)).includes(pid));

      const logs: string[] = [];
      await survivor.ensureRunning('secret-2', (line) => logs.push(line));
      assert.ok(
        logs.some((line) => /^stopped \d+ local Postgres servers? whose data folder no longer exists$/.test(line)),
        logs.join('\n'),
      );
      await waitUntil(() => !isAlive(pid), { what: `the orphan (PID ${pid}) to be gone`, intervalMs: 100 });
      assert.equal((await findOrphanedServers(postgres)).includes(pid), false);
    } finally {
      await orphan.stop();
      await survivor.stop();
      rmSync(gone, { recursive: true, force: true });
      rmSync(next, { recursive: true, force: true });
    }
  },
);
