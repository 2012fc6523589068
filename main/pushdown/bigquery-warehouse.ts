import type { ErrorPlace } from '../errors.ts';
import type { BigQueryClientSettings } from '../cloud/bigquery-client.ts';
import type { Warehouse } from './warehouse.ts';

/** Push-down on BigQuery (in progress). */
export class BigQueryWarehouse {
  static async open(_settings: BigQueryClientSettings, _projectDir: string, _place: ErrorPlace): Promise<Warehouse> {
    throw new Error('not yet');
  }
}
