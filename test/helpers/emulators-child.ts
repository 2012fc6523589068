/**
 * The GCS and BigQuery emulators in a process of their own, for tests that SIGKILL the engine (hostile-kill): the
 * emulators must outlive it, as Google's servers would. `emulators-child.ts <gcs root> <bigquery data dir>` prints one
 * JSON line `{"gcs": url, "bigquery": endpoint}` once both listen, and stops them when stdin closes (the test ended
 * or died) or on SIGTERM.
 */
import { startGcsEmulator } from '../../main/cloud/gcs-emulator/server.ts';
import { startBigQueryEmulator } from '../../main/cloud/bigquery-emulator/server.ts';

const [gcsRoot, bigqueryDir] = process.argv.slice(2);
if (!gcsRoot || !bigqueryDir) throw new Error('usage: emulators-child.ts <gcs root> <bigquery data dir>');

const gcs = await startGcsEmulator({ root: gcsRoot });
const bigquery = await startBigQueryEmulator({ dataDir: bigqueryDir, gcsDataDir: gcsRoot, gcsEndpoint: gcs.url });
process.stdout.write(`${JSON.stringify({ gcs: gcs.url, bigquery: bigquery.endpoint })}\n`);

let isStopping = false;
const stop = async () => {
  if (isStopping) return;
  isStopping = true;
  await bigquery.close();
  await gcs.close();
  process.exit(0);
};
process.stdin.on('end', () => void stop());
process.stdin.resume();
process.on('SIGTERM', () => void stop());
