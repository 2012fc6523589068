import path from 'node:path';
import { UserError, type ErrorPlace } from '../model/errors.ts';
import type { BigQueryConnection, PostgresConnection } from '../model/connection-profile.ts';
import { checkIdentifier } from '../postgres/postgres-types.ts';
import type { HistoryDestination } from './export-history.ts';
import { ParquetDestination } from './parquet-destination.ts';
import { PostgresDestination } from './postgres-destination.ts';
import { BigQueryDestination } from './bigquery-destination.ts';

/** Where `export-history` writes: a folder of Parquet files, tables in a Postgres schema, or a BigQuery dataset. */
export type DestinationSpec =
  | { to: 'parquet'; dir: string }
  | { to: 'postgres'; connection: string; schema?: string }
  | { to: 'bigquery'; connection: string; dataset?: string };

/** The Postgres schema (and BigQuery dataset) history goes to when none is named. */
export const DEFAULT_HISTORY_SCHEMA = 'pipewright_history';

/** Resolves a connection name per connector (the CLI's and a block's resolvers differ). */
export interface ConnectionResolvers {
  postgres(name: string): Promise<PostgresConnection>;
  bigquery(name: string): Promise<BigQueryConnection>;
}

/** Opens a destination; Parquet folders are relative to `project.dir`. */
export async function openDestination(
  spec: DestinationSpec,
  project: { dir: string; name: string },
  resolve: ConnectionResolvers,
  place: ErrorPlace = {},
): Promise<HistoryDestination & { close(): Promise<void> }> {
  switch (spec.to) {
    case 'parquet': {
      if (spec.dir.trim() === '') throw new UserError('the Parquet folder is empty', { ...place, path: 'path' });
      const destination = new ParquetDestination(path.resolve(project.dir, spec.dir), project.name);
      return Object.assign(destination, { close: async () => undefined });
    }
    case 'postgres': {
      const schema = spec.schema ?? DEFAULT_HISTORY_SCHEMA;
      checkIdentifier(schema, 'schema', { ...place, path: 'schema' });
      return PostgresDestination.open(await resolve.postgres(spec.connection), schema, project.name, place);
    }
    case 'bigquery':
      return BigQueryDestination.open(await resolve.bigquery(spec.connection), spec.dataset ?? DEFAULT_HISTORY_SCHEMA, project, place);
  }
}
