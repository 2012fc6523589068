import { BlockRegistry } from '../model/registry.ts';
import { bigqueryExport } from './bigquery-export.ts';
import { bigquerySource } from './bigquery-source.ts';
import { gcsExport } from './gcs-export.ts';
import { gcsSource } from './gcs-source.ts';
import { httpFileSource } from './http-file-source.ts';
import { localFileSource } from './local-file-source.ts';
import { localFileExport } from './local-file-export.ts';
import { postgresExport } from './postgres-export.ts';
import { postgresSource } from './postgres-source.ts';
import { runHistoryExport } from './run-history-export.ts';
import { fileSensor } from './sensors/file-sensor.ts';
import { gcsObjectSensor } from './sensors/gcs-object-sensor.ts';
import { httpSensor } from './sensors/http-sensor.ts';
import { pipelineRunSensor } from './sensors/pipeline-run-sensor.ts';
import { pythonSensor } from './sensors/python-sensor.ts';
import { sqlSensor } from './sensors/sql-sensor.ts';
import { sqlSource } from './sql-source.ts';
import { sqlTransform } from './sql-transform.ts';
import { tableSource } from './table-source.ts';
import { typescriptTransform } from './typescript-transform.ts';
import { pythonExport, pythonSource, pythonTransform } from './python-block.ts';

/** The registry with every block kind this release ships. */
export function createDefaultRegistry(): BlockRegistry {
  return new BlockRegistry()
    .register(httpFileSource)
    .register(localFileSource)
    .register(sqlTransform)
    .register(sqlSource)
    .register(tableSource)
    .register(typescriptTransform)
    .register(pythonSource)
    .register(pythonTransform)
    .register(pythonExport)
    .register(localFileExport)
    .register(gcsExport)
    .register(gcsSource)
    .register(bigqueryExport)
    .register(bigquerySource)
    .register(postgresExport)
    .register(postgresSource)
    .register(runHistoryExport)
    .register(fileSensor)
    .register(httpSensor)
    .register(gcsObjectSensor)
    .register(sqlSensor)
    .register(pipelineRunSensor)
    .register(pythonSensor);
}
