import { BlockRegistry } from '../engine/registry.ts';
import { gcsExport } from './gcs-export.ts';
import { gcsSource } from './gcs-source.ts';
import { httpFileSource } from './http-file-source.ts';
import { localFileSource } from './local-file-source.ts';
import { localFileExport } from './local-file-export.ts';
import { postgresExport } from './postgres-export.ts';
import { postgresSource } from './postgres-source.ts';
import { sqlTransform } from './sql-transform.ts';
import { typescriptTransform } from './typescript-transform.ts';

/** The registry with every block kind this release ships. */
export function createDefaultRegistry(): BlockRegistry {
  return new BlockRegistry()
    .register(httpFileSource)
    .register(localFileSource)
    .register(sqlTransform)
    .register(typescriptTransform)
    .register(localFileExport)
    .register(gcsExport)
    .register(gcsSource)
    .register(postgresExport)
    .register(postgresSource);
}
