// Under root the local Postgres runs as the `postgres` account inside .pipewright/postgres. Opening the project makes
// .pipewright owner-only; when that happened while the server ran (`pipewright sandbox`, or the bench holding it
// across runs), root's 0700 locked the server out of its own data folder, and its next checkpoint PANICked
// ("could not open file …/global/pg_control: Permission denied"): found loading ten months, the first load large
// enough to reach a WAL checkpoint mid-run.
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { loadProject } from '../main/project/load-project.ts';
import { resolvePostgresConnection } from '../main/connections/resolve-connection.ts';
import { LocalPostgres } from '../main/postgres/local-server.ts';
import { openProject } from '../main/runtime/open-project.ts';
import { createTempProject } from './helpers/temp-project.ts';

const isRoot = process.getuid?.() === 0;

test(
  'opening a project while its local Postgres runs (as the postgres account, under root) leaves the server its data folder',
  { skip: isRoot ? false : 'only root runs the local Postgres as another account' },
  async () => {
    const temp = createTempProject();
    temp.writeFile('connections.yaml', 'local_pg:\n  type: local_postgres\n  database: app\n');
    const stateDir = path.join(temp.dir, '.pipewright');
    try {
      const conn = await resolvePostgresConnection(await loadProject(temp.dir), 'local_pg', { env: {} });
      const open = await openProject(temp.dir); // makes .pipewright owner-only, as every `pipewright run` does
      await open.close();
      const client = new pg.Client({ host: conn.host, port: conn.port, user: conn.user, password: conn.password, database: conn.database });
      await client.connect();
      try {
        // A checkpoint rewrites global/pg_control through the folder's full path, as one a big COPY's WAL triggers does.
        await client.query('CHECKPOINT');
        await client.query('CREATE TABLE t AS SELECT 1 AS n');
        assert.equal((await client.query('SELECT count(*)::int AS n FROM t')).rows[0]?.n, 1);
      } finally {
        await client.end();
      }
      // Traversable by the postgres account, still not listable or readable by other accounts.
      assert.equal(statSync(stateDir).mode & 0o777, 0o711);
    } finally {
      await LocalPostgres.at(stateDir).stop();
      temp.cleanup();
    }
  },
);
