import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { blockError, createPgProject, runPipeline, startTestPostgres, writeExportPipeline, type TestPostgres } from './helpers/postgres.ts';

let pgServer: TestPostgres;
before(async () => {
  pgServer = await startTestPostgres();
});
after(async () => {
  await pgServer.stop();
});

/** A free port with nothing listening on it (yet). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts forwarding `port` to the test Postgres, as a server coming back after a restart would start accepting. */
function startForwarding(port: number): net.Server {
  const server = net.createServer((client) => {
    const upstream = net.connect(pgServer.conn.port, pgServer.conn.host);
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  server.listen(port, '127.0.0.1');
  return server;
}

test('a refused connection is retried with the block policy and succeeds once the port accepts', async () => {
  const project = createPgProject(pgServer);
  const port = await closedPort();
  let forwarder: net.Server | undefined;
  try {
    writeExportPipeline(project, { sql: 'select range as id from range(5)', config: { schema: 'refused', table: 't' }, retries: 5 });
    const { result, events } = await runPipeline(project.dir, {
      overrides: { pg: { port: String(port) } },
      // The server "comes back" as soon as the first refusal has been seen and a retry scheduled.
      onEvent: (e) => {
        if (e.type === 'block.retrying' && !forwarder) forwarder = startForwarding(port);
      },
    });
    assert.equal(result.status, 'succeeded', blockError(result, 'to_pg'));
    const retrying = events.find((e) => e.type === 'block.retrying');
    assert.ok(retrying?.type === 'block.retrying');
    assert.match(retrying.error.message, /nothing listens on 127\.0\.0\.1:\d+/);
    assert.equal(retrying.error.retryable, true);
    assert.deepEqual(await pgServer.query('select count(*)::int as n from refused.t'), [{ n: 5 }]);
  } finally {
    forwarder?.close();
    project.cleanup();
  }
});

test('a port that keeps refusing fails after the block retries, saying what to check', async () => {
  const project = createPgProject(pgServer);
  try {
    writeExportPipeline(project, { sql: 'select 1 as id', config: { schema: 'refused', table: 'never' }, retries: 2 });
    const { result, events } = await runPipeline(project.dir, { overrides: { pg: { port: String(await closedPort()) } } });
    assert.equal(result.status, 'failed');
    assert.match(blockError(result, 'to_pg') ?? '', /nothing listens on 127\.0\.0\.1:\d+ .*is the server running/);
    assert.equal(result.blocks.find((b) => b.id === 'to_pg')?.attempts, 3);
    assert.equal(events.filter((e) => e.type === 'block.retrying').length, 2);
  } finally {
    project.cleanup();
  }
});
