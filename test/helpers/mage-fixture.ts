import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A Mage project in the shape Mage's docs describe (docs.mage.ai: project structure, io_config.yaml, blocks,
 * triggers in code), written by hand: the course's API → transform → Postgres pipeline, plus SQL, dynamic,
 * conditional and broken blocks.
 */
export function writeMageProject(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    const file = path.join(root, rel);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
}

export const IO_CONFIG = `version: 0.1.1
default:
  POSTGRES_CONNECT_TIMEOUT: 10
  POSTGRES_DBNAME: postgres
  POSTGRES_SCHEMA: public
  POSTGRES_USER: username
  POSTGRES_PASSWORD: hunter2
  POSTGRES_HOST: hostname
  POSTGRES_PORT: 5432
  MYSQL_HOST: mysql_host
dev:
  POSTGRES_CONNECT_TIMEOUT: 10
  POSTGRES_DBNAME: "{{ env_var('POSTGRES_DBNAME') }}"
  POSTGRES_SCHEMA: "{{ env_var('POSTGRES_SCHEMA') }}"
  POSTGRES_USER: "{{ env_var('POSTGRES_USER') }}"
  POSTGRES_PASSWORD: "{{ env_var('POSTGRES_PASSWORD') }}"
  POSTGRES_HOST: "{{ env_var('POSTGRES_HOST') }}"
  POSTGRES_PORT: "{{ env_var('POSTGRES_PORT') }}"
  GOOGLE_SERVICE_ACC_KEY_FILEPATH: "/home/src/keys/my-creds.json"
  GOOGLE_LOCATION: US
`;

export const LOAD_API = `import io
import pandas as pd
import requests
if 'data_loader' not in globals():
    from mage_ai.data_preparation.decorators import data_loader
if 'test' not in globals():
    from mage_ai.data_preparation.decorators import test


@data_loader
def load_data_from_api(*args, **kwargs):
    url = kwargs['source_url']
    response = requests.get(url)
    taxi_dtypes = {'VendorID': pd.Int64Dtype(), 'passenger_count': pd.Int64Dtype(), 'trip_distance': float}
    return pd.read_csv(io.StringIO(response.text), sep=',', dtype=taxi_dtypes, parse_dates=['lpep_pickup_datetime'])


@test
def test_output(output, *args) -> None:
    assert output is not None, 'The output is undefined'
`;

/** The course's "API" loader: a literal URL, dtypes and dates, so it becomes a native http_file block. */
export const LOAD_API_TEMPLATE = `import io
import pandas as pd
import requests
if 'data_loader' not in globals():
    from mage_ai.data_preparation.decorators import data_loader
if 'test' not in globals():
    from mage_ai.data_preparation.decorators import test


@data_loader
def load_data_from_api(*args, **kwargs):
    """
    Template for loading data from API
    """
    url = 'GZ_URL'
    taxi_dtypes = {
                    'VendorID': pd.Int64Dtype(),
                    'passenger_count': pd.Int64Dtype(),
                    'trip_distance': float,
                }

    # native date parsing
    parse_dates = ['lpep_pickup_datetime']

    return pd.read_csv(url, sep=',', compression='gzip', dtype=taxi_dtypes, parse_dates=parse_dates)


@test
def test_output(output, *args) -> None:
    assert output is not None, 'The output is undefined'
`;

export const API_NATIVE_METADATA = `blocks:
- configuration: {}
  language: python
  name: load_green_gz
  type: data_loader
  upstream_blocks: []
  uuid: load_green_gz
- configuration: {}
  language: python
  name: transform_taxi
  type: transformer
  upstream_blocks: [load_green_gz]
  uuid: transform_taxi
name: api_native
type: python
uuid: api_native
`;

export const TRANSFORM = `if 'transformer' not in globals():
    from mage_ai.data_preparation.decorators import transformer
if 'test' not in globals():
    from mage_ai.data_preparation.decorators import test


@transformer
def transform(data, *args, **kwargs):
    print('rows with zero passengers:', (data['passenger_count'] == 0).sum())
    data = data[data['passenger_count'] > 0]
    data.columns = data.columns.str.replace('ID', '_id').str.lower()
    data['lpep_pickup_date'] = data['lpep_pickup_datetime'].dt.date
    return data


@test
def test_output(output, *args) -> None:
    assert output['passenger_count'].isin([0]).sum() == 0, 'There are rides with zero passengers'
`;

export const EXPORT_PG = `from mage_ai.settings.repo import get_repo_path
from mage_ai.io.config import ConfigFileLoader
from mage_ai.io.postgres import Postgres
from pandas import DataFrame
from os import path

if 'data_exporter' not in globals():
    from mage_ai.data_preparation.decorators import data_exporter


@data_exporter
def export_data_to_postgres(df: DataFrame, **kwargs) -> None:
    schema_name = 'mage'
    table_name = 'green_taxi'
    config_path = path.join(get_repo_path(), 'io_config.yaml')
    config_profile = 'dev'

    with Postgres.with_config(ConfigFileLoader(config_path, config_profile)) as loader:
        loader.export(
            df,
            schema_name,
            table_name,
            index=False,  # Specifies whether to include index in exported table
            if_exists='replace',  # Specify resolution policy if table name already exists
        )
`;

/** Not the bare template: it filters first, so it stays Python and Postgres.export hands the rows to Pipewright. */
export const EXPORT_BUSY = `from mage_ai.settings.repo import get_repo_path
from mage_ai.io.config import ConfigFileLoader
from mage_ai.io.postgres import Postgres
from os import path

if 'data_exporter' not in globals():
    from mage_ai.data_preparation.decorators import data_exporter


@data_exporter
def export_busy_trips(df, **kwargs) -> None:
    busy = df[df['passenger_count'] >= 2]
    config_path = path.join(get_repo_path(), 'io_config.yaml')
    Postgres.with_config(ConfigFileLoader(config_path, 'dev')).export(
        busy, 'mage', 'busy_' + 'trips', index=False, if_exists='replace')
`;

export const HANDOFF_METADATA = `blocks:
- configuration: {}
  language: python
  name: load_api_data
  type: data_loader
  upstream_blocks: []
  uuid: load_api_data
- configuration: {}
  language: python
  name: trips_from_pg
  type: data_loader
  upstream_blocks: []
  uuid: trips_from_pg
- configuration: {}
  language: python
  name: export_busy_trips
  type: data_exporter
  upstream_blocks: [load_api_data]
  uuid: export_busy_trips
- configuration: {}
  language: python
  name: to_gcs
  type: data_exporter
  upstream_blocks: [load_api_data]
  uuid: to_gcs
- configuration: {}
  language: python
  name: notify
  type: custom
  upstream_blocks: [load_api_data]
  uuid: notify
- configuration: {}
  language: python
  name: to_bigquery
  type: data_exporter
  upstream_blocks: [load_api_data]
  uuid: to_bigquery
- configuration: {}
  language: python
  name: taxi_to_gcs_partitioned
  type: data_exporter
  upstream_blocks: [load_api_data]
  uuid: taxi_to_gcs_partitioned
- configuration: {}
  language: python
  name: trips_by_vendor
  type: data_exporter
  upstream_blocks: [load_api_data]
  uuid: trips_by_vendor
name: handoff_demo
type: python
uuid: handoff_demo
variables:
  source_url: SOURCE_URL
`;

/** The course's partitioned export (module 2, "taxi_to_gcs_partitioned_parquet"), written from its published shape. */
export const EXPORT_GCS_PARTITIONED = `import pyarrow as pa
import pyarrow.parquet as pq
import os

if 'data_exporter' not in globals():
    from mage_ai.data_preparation.decorators import data_exporter

os.environ['GOOGLE_APPLICATION_CREDENTIALS'] = "/home/src/keys/my-creds.json"

bucket_name = 'mage-zoomcamp'
project_id = 'dtc-de-course'

table_name = "green_taxi_data"

root_path = f'{bucket_name}/{table_name}'


@data_exporter
def export_data(data, *args, **kwargs):
    data['lpep_pickup_date'] = data['lpep_pickup_datetime'].dt.date

    table = pa.Table.from_pandas(data)

    gcs = pa.fs.GcsFileSystem()

    pq.write_to_dataset(
        table,
        root_path=root_path,
        partition_cols=['lpep_pickup_date'],
        filesystem=gcs
    )
`;

/** The same template writing to a local folder (no filesystem: pyarrow's local one). */
export const EXPORT_LOCAL_PARTITIONED = `import pyarrow as pa
import pyarrow.parquet as pq

if 'data_exporter' not in globals():
    from mage_ai.data_preparation.decorators import data_exporter


@data_exporter
def export_data(df, *args, **kwargs):
    table = pa.Table.from_pandas(df)
    pq.write_to_dataset(table, root_path='output/trips_by_vendor', partition_cols=['VendorID'])
`;

export const EXPORT_GCS = `from mage_ai.settings.repo import get_repo_path
from mage_ai.io.config import ConfigFileLoader
from mage_ai.io.google_cloud_storage import GoogleCloudStorage
from pandas import DataFrame
from os import path

if 'data_exporter' not in globals():
    from mage_ai.data_preparation.decorators import data_exporter


@data_exporter
def export_data_to_google_cloud_storage(df: DataFrame, **kwargs) -> None:
    config_path = path.join(get_repo_path(), 'io_config.yaml')
    config_profile = 'dev'

    bucket_name = 'mage-zoomcamp'
    object_key = 'green_taxi.csv'

    GoogleCloudStorage.with_config(ConfigFileLoader(config_path, config_profile)).export(
        df,
        bucket_name,
        object_key,
    )
`;

export const EXPORT_BIGQUERY = `from mage_ai.settings.repo import get_repo_path
from mage_ai.io.bigquery import BigQuery
from mage_ai.io.config import ConfigFileLoader
from pandas import DataFrame
from os import path

if 'data_exporter' not in globals():
    from mage_ai.data_preparation.decorators import data_exporter


@data_exporter
def export_data_to_big_query(df: DataFrame, **kwargs) -> None:
    table_id = 'test-project.ny_taxi.green_taxi'
    config_path = path.join(get_repo_path(), 'io_config.yaml')
    config_profile = 'dev'

    BigQuery.with_config(ConfigFileLoader(config_path, config_profile)).export(
        df,
        table_id,
        if_exists='replace',  # Specify resolution policy if table name already exists
    )
`;

export const LOAD_PG = `from mage_ai.settings.repo import get_repo_path
from mage_ai.io.config import ConfigFileLoader
from mage_ai.io.postgres import Postgres
from os import path
if 'data_loader' not in globals():
    from mage_ai.data_preparation.decorators import data_loader


@data_loader
def load_data_from_postgres(*args, **kwargs):
    query = """
        SELECT zone_id, zone FROM mage.zones
    """
    config_path = path.join(get_repo_path(), 'io_config.yaml')
    config_profile = 'dev'

    with Postgres.with_config(ConfigFileLoader(config_path, config_profile)) as loader:
        return loader.load(query)
`;

export const FILE_EXPORT = `from mage_ai.io.file import FileIO
from mage_ai.settings.repo import get_repo_path
import os
if 'data_exporter' not in globals():
    from mage_ai.data_preparation.decorators import data_exporter


@data_exporter
def export_data_to_file(df, **kwargs) -> None:
    FileIO().export(df, os.path.join(get_repo_path(), 'output', 'vendors.csv'))
`;

export const GREEN_TAXI_METADATA = `blocks:
- all_upstream_blocks_executed: true
  configuration: {}
  downstream_blocks:
  - transform_taxi
  executor_type: local_python
  language: python
  name: load_api_data
  retry_config:
    retries: 3
    delay: 2
  status: executed
  type: data_loader
  upstream_blocks: []
  uuid: load_api_data
- configuration: {}
  downstream_blocks:
  - taxi_to_postgres
  - count_by_vendor
  language: python
  name: transform_taxi
  status: executed
  timeout: 600
  type: transformer
  upstream_blocks:
  - load_api_data
  uuid: transform_taxi
- configuration: {}
  downstream_blocks: []
  language: python
  name: taxi_to_postgres
  type: data_exporter
  upstream_blocks:
  - transform_taxi
  uuid: taxi_to_postgres
- configuration:
    data_provider: postgres
    data_provider_profile: dev
    data_provider_schema: mage
    data_provider_table: vendor_counts
    export_write_policy: replace
    use_raw_sql: false
  downstream_blocks:
  - vendors_to_file
  language: sql
  name: count_by_vendor
  type: transformer
  upstream_blocks:
  - transform_taxi
  uuid: count_by_vendor
- configuration: {}
  downstream_blocks: []
  language: python
  name: vendors_to_file
  type: data_exporter
  upstream_blocks:
  - count_by_vendor
  uuid: vendors_to_file
conditionals:
- configuration: {}
  language: python
  name: has_trips
  type: conditional
  upstream_blocks:
  - taxi_to_postgres
  uuid: has_trips
name: green_taxi_etl
retry_config:
  retries: 1
type: python
uuid: green_taxi_etl
variables:
  source_url: SOURCE_URL
`;

export const TRIGGERS = `triggers:
- name: daily load
  schedule_type: time
  schedule_interval: '@daily'
  start_time: 2024-01-01 00:00:00
  status: active
  variables:
    source_url: https://example.com/green.csv
- name: every 15 minutes
  schedule_type: time
  schedule_interval: '*/15 * * * *'
  status: inactive
- name: from ci
  schedule_type: api
- name: just once
  schedule_type: time
  schedule_interval: '@once'
`;

export const DYNAMIC_METADATA = `blocks:
- configuration:
    dynamic: true
  downstream_blocks: [load_month]
  language: python
  name: months
  type: data_loader
  upstream_blocks: []
  uuid: months
- configuration:
    reduce_output: true
  downstream_blocks: []
  language: python
  name: load_month
  type: transformer
  upstream_blocks: [months]
  uuid: load_month
name: dynamic_demo
type: python
uuid: dynamic_demo
`;

/** Bad input: a missing file, a syntax error, an unknown type, a cycle; named `broken` like the next one. */
export const BROKEN_METADATA = `blocks:
- configuration: {}
  language: python
  name: gone
  type: data_loader
  upstream_blocks: []
  uuid: gone
- configuration: {}
  language: python
  name: bad_syntax
  type: transformer
  upstream_blocks: [gone]
  uuid: bad_syntax
- configuration: {}
  language: python
  name: mystery
  type: teleporter
  upstream_blocks: []
  uuid: mystery
- configuration: {}
  language: python
  name: step_a
  type: transformer
  upstream_blocks: [step_b]
  uuid: step_a
- configuration: {}
  language: python
  name: step_b
  type: transformer
  upstream_blocks: [step_a]
  uuid: step_b
- configuration: {}
  language: python
  name: step-a
  type: transformer
  upstream_blocks: [step_b]
  uuid: step-a
name: broken
type: python
uuid: broken
`;

export const SAME_NAME_METADATA = `blocks:
- configuration: {}
  language: python
  name: months
  type: data_loader
  upstream_blocks: []
  uuid: months
name: broken
type: python
uuid: broken_copy
`;

/** A child of the dynamic block, as docs.mage.ai/design/blocks/dynamic-blocks shows one: it gets one item (a dict) and returns a list. */
export const LOAD_MONTH = `from typing import Dict, List
if 'transformer' not in globals():
    from mage_ai.data_preparation.decorators import transformer


@transformer
def load_month(data: Dict, *args, **kwargs) -> List[Dict]:
    print('loading month', data['month'])
    data['month_code'] = int(data['month']) * 100
    return [data]
`;

const simpleTransform = (name: string) => `if 'transformer' not in globals():
    from mage_ai.data_preparation.decorators import transformer


@transformer
def ${name}(df, *args, **kwargs):
    return df
`;

/** Every file of the fixture project; `sourceUrl` is what the green taxi pipeline downloads. */
export function mageFixture(sourceUrl: string): Record<string, string> {
  return {
    'metadata.yaml': 'project_uuid: 0f3c\nproject_type: standalone\nvariables_dir: ~/.mage_data\n',
    'io_config.yaml': IO_CONFIG,
    'data_loaders/load_api_data.py': LOAD_API,
    'transformers/transform_taxi.py': TRANSFORM,
    'data_exporters/taxi_to_postgres.py': EXPORT_PG,
    'transformers/count_by_vendor.sql': 'SELECT vendor_id, count(*) AS trips\nFROM {{ df_1 }}\nGROUP BY vendor_id\n',
    'data_exporters/vendors_to_file.py': FILE_EXPORT,
    'data_exporters/export_busy_trips.py': EXPORT_BUSY,
    'data_loaders/trips_from_pg.py': LOAD_PG,
    'data_exporters/to_gcs.py': EXPORT_GCS,
    'data_exporters/to_bigquery.py': EXPORT_BIGQUERY,
    'data_exporters/taxi_to_gcs_partitioned.py': EXPORT_GCS_PARTITIONED,
    'data_exporters/trips_by_vendor.py': EXPORT_LOCAL_PARTITIONED,
    'custom/notify.py':
      "if 'custom' not in globals():\n    from mage_ai.data_preparation.decorators import custom\n\n\n@custom\ndef notify(df, *args, **kwargs):\n    print('loaded %d trips' % len(df))\n",
    'pipelines/handoff_demo/metadata.yaml': HANDOFF_METADATA.replace('SOURCE_URL', sourceUrl),
    'conditionals/has_trips.py':
      "if 'condition' not in globals():\n    from mage_ai.data_preparation.decorators import condition\n\n\n@condition\ndef evaluate_condition(data, *args, **kwargs) -> bool:\n    return len(data) > 0\n",
    'pipelines/green_taxi_etl/metadata.yaml': GREEN_TAXI_METADATA.replace('SOURCE_URL', sourceUrl),
    'pipelines/green_taxi_etl/triggers.yaml': TRIGGERS,
    'pipelines/green_taxi_etl/__init__.py': '',
    'data_loaders/months.py':
      "if 'data_loader' not in globals():\n    from mage_ai.data_preparation.decorators import data_loader\n\n\n@data_loader\ndef months(*args, **kwargs):\n    return [[{'month': 10}, {'month': 2}], [{'block_uuid': 'oct'}, {'block_uuid': 'feb'}]]\n",
    'transformers/load_month.py': LOAD_MONTH,
    'pipelines/dynamic_demo/metadata.yaml': DYNAMIC_METADATA,
    'transformers/bad_syntax.py':
      "if 'transformer' not in globals():\n    from mage_ai.data_preparation.decorators import transformer\n\n\n@transformer\ndef broken(df, *args, **kwargs)\n    return df\n",
    'transformers/mystery.py': simpleTransform('mystery'),
    'transformers/step_a.py': simpleTransform('step_a'),
    'transformers/step_b.py': simpleTransform('step_b'),
    'transformers/step-a.py': simpleTransform('step_a_again'),
    'pipelines/broken/metadata.yaml': BROKEN_METADATA,
    'pipelines/broken_copy/metadata.yaml': SAME_NAME_METADATA,
    'data_loaders/load_green_gz.py': LOAD_API_TEMPLATE.replace('GZ_URL', `${sourceUrl}.gz`),
    'pipelines/api_native/metadata.yaml': API_NATIVE_METADATA,
  };
}
