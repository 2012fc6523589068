"""Mage compatibility for Python blocks: Mage's decorators and the `mage_ai` modules its templates import, without Mage.

Installed into sys.modules by pw_harness.py before a block file runs, so `from mage_ai.io.file import FileIO` and the
`if 'transformer' not in globals(): from mage_ai.data_preparation.decorators import transformer` header both work.
`Postgres`, `GoogleCloudStorage` and `BigQuery` `.export(df, …)` hand the DataFrame to Pipewright: it is written as an
exchange file and, once the function returned, Pipewright's own exporter of that kind loads it with the connection
imported from the io_config profile (`<profile>_postgres`, `_gcs`, `_bigquery`). Their `.load()` raises an error
naming the native source block to use instead.
"""
import logging
import os
import re
import types

# Exports handed to Pipewright, in call order; pw_harness.py sends them with the block's result.
HANDOFFS = []
_exchange = {'dir': None, 'format': 'csv'}

# Mage decorator name -> the harness role it marks. custom, condition and sensor functions run only when the block's
# config.function names them (the importer always writes it).
MAGE_ROLES = {'data_loader': 'source', 'transformer': 'transform', 'data_exporter': 'export',
              'custom': 'custom', 'condition': 'condition', 'sensor': 'sensor'}


class ConfigFileLoader:
    """Mage's io_config.yaml reader: here only the profile name matters (it names the imported connection)."""

    def __init__(self, config_path=None, config_profile='default', **kwargs):
        self.config_path, self.profile = config_path, config_profile


class _Closing:
    """`with X.with_config(…) as loader:` works, as in Mage's templates."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class FileIO(_Closing):
    """Mage's local file loader and exporter, by file extension (csv, parquet, json)."""

    @classmethod
    def with_config(cls, config=None):
        return cls()

    def load(self, filepath, **kwargs):
        import pandas as pd
        ext = _extension(filepath)
        reader = {'csv': pd.read_csv, 'parquet': pd.read_parquet, 'json': pd.read_json}.get(ext)
        if reader is None:
            raise ValueError('FileIO.load cannot read .%s files (csv, parquet or json)' % ext)
        return reader(filepath, **kwargs)

    def export(self, df, filepath, **kwargs):
        ext = _extension(filepath)
        folder = os.path.dirname(filepath)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if ext == 'csv':
            df.to_csv(filepath, **{'index': False, **kwargs})
        elif ext == 'parquet':
            df.to_parquet(filepath, **{'index': False, **kwargs})
        elif ext == 'json':
            df.to_json(filepath, **kwargs)
        else:
            raise ValueError('FileIO.export cannot write .%s files (csv, parquet or json)' % ext)


def _extension(filepath):
    name = str(filepath).lower()
    for suffix in ('.gz', '.zip', '.bz2', '.xz'):
        if name.endswith(suffix):
            name = name[:-len(suffix)]
    return os.path.splitext(name)[1].lstrip('.')


class _HandOff(_Closing):
    """A mage_ai.io class whose export() hands the DataFrame to one of Pipewright's exporters (`kind`)."""

    kind = None

    def __init__(self, profile='default'):
        self.profile = profile

    @classmethod
    def with_config(cls, config=None):
        return cls(getattr(config, 'profile', 'default') or 'default')

    def _hand_off(self, df, config, index):
        import pw_output

        if index and any(n is not None for n in df.index.names):
            df = df.reset_index()
        path = os.path.join(_exchange['dir'], 'handoff_%d.%s' % (len(HANDOFFS), _exchange['format']))
        warn = lambda message: logging.getLogger('pipewright').warning(message)  # noqa: E731
        columns, rows = pw_output.write_table(path, pw_output.prepare_output(df, {}, warn), _exchange['format'])
        config['connection'] = re.sub(r'[^A-Za-z0-9_]', '_', '%s_%s' % (self.profile, self.kind))
        HANDOFFS.append({'kind': self.kind, 'config': config, 'path': path, 'format': _exchange['format'], 'columns': columns, 'rows': rows})

    def load(self, *args, **kwargs):
        raise NotImplementedError('mage_ai.io %s.load runs only as a native block in Pipewright: use a %s source block '
                                  '(pipewright import mage converts Mage template loaders to one)' % (type(self).__name__, self.kind))


def _policy(if_exists, allowed):
    if if_exists not in allowed:
        raise ValueError('if_exists=%r: use one of %s' % (if_exists, ', '.join(sorted(allowed))))
    return allowed[if_exists]


class Postgres(_HandOff):
    """export(df, schema, table, if_exists=…) is loaded by Pipewright's Postgres exporter (COPY) after the function returns."""

    kind = 'postgres'

    def export(self, df, schema_name=None, table_name=None, index=True, if_exists='replace', **kwargs):
        if not table_name:
            raise ValueError('Postgres.export needs a table name')
        mode = _policy(if_exists, {'replace': 'replace', 'append': 'append', 'fail': 'fail'})
        self._hand_off(df, {'table': table_name, 'mode': mode, **({'schema': schema_name} if schema_name else {})}, index)


class GoogleCloudStorage(_HandOff):
    """export(df, bucket, object_key) is uploaded by Pipewright's GCS exporter; the key's extension picks the format."""

    kind = 'gcs'

    def export(self, df, bucket_name, object_key, **kwargs):
        name = str(object_key).lower()
        fmt = 'csv' if name.endswith('.csv') else 'jsonl' if name.endswith(('.json', '.jsonl')) else 'parquet'
        self._hand_off(df, {'bucket': bucket_name, 'path': str(object_key), 'format': fmt}, False)


class BigQuery(_HandOff):
    """export(df, 'project.dataset.table', if_exists=…) is loaded by Pipewright's BigQuery exporter (one load job)."""

    kind = 'bigquery'

    def export(self, df, table_id, if_exists='replace', index=False, **kwargs):
        parts = str(table_id).split('.')
        if len(parts) not in (2, 3):
            raise ValueError("BigQuery.export table_id %r: use 'dataset.table' or 'project.dataset.table'" % (table_id,))
        disposition = _policy(if_exists, {'replace': 'truncate', 'append': 'append', 'fail': 'empty'})
        config = {'dataset': parts[-2], 'table': parts[-1], 'write_disposition': disposition}
        if len(parts) == 3:
            config['project_id'] = parts[0]
        self._hand_off(df, config, index)


def _module(name, **attrs):
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    return module


def install(sys_modules, project_dir, decorators, handoff=None):
    """Registers the `mage_ai` modules Mage's block templates import; `decorators` maps Mage names to markers."""
    if handoff:
        _exchange.update(handoff)
    repo = lambda: project_dir  # noqa: E731 - get_repo_path() is the project folder
    secret = lambda name, *default: os.environ.get(name, *default)  # noqa: E731 - Mage secrets are environment variables here
    mods = {
        'mage_ai': {}, 'mage_ai.data_preparation': {}, 'mage_ai.io': {}, 'mage_ai.settings': {},
        'mage_ai.data_preparation.shared': {},
        'mage_ai.data_preparation.decorators': dict(decorators),
        'mage_ai.data_preparation.shared.secrets': {'get_secret_value': secret},
        'mage_ai.settings.repo': {'get_repo_path': repo},
        'mage_ai.io.config': {'ConfigFileLoader': ConfigFileLoader},
        'mage_ai.io.file': {'FileIO': FileIO},
        'mage_ai.io.postgres': {'Postgres': Postgres},
        'mage_ai.io.bigquery': {'BigQuery': BigQuery},
        'mage_ai.io.google_cloud_storage': {'GoogleCloudStorage': GoogleCloudStorage},
    }
    for name, attrs in mods.items():
        module = _module(name, **attrs)
        module.__path__ = []  # a package, so submodule imports resolve through sys.modules
        sys_modules[name] = module


# ---- dynamic blocks (docs.mage.ai/design/blocks/dynamic-blocks) ------------------------------------------------
# A Mage dynamic block returns [items, metadata]: a list of items and, optionally, one dict per item whose block_uuid
# names the child. Pipewright's dynamic blocks output a table, one row per item, so the list becomes rows: the item's
# own keys as columns (for `{{ item.<key> }}` in native children), plus the item and its metadata as JSON so a Python
# child gets them back as Mage gives them. _mage_index comes first: the engine numbers children in sorted row order.
ITEM_COLUMNS = ('_mage_index', '_mage_item', '_mage_metadata', '_mage_block')


class DynamicError(Exception):
    """A dynamic block's return value is not in Mage's shape."""


def split_dynamic(value):
    """(items, metadata) of a dynamic block's return value: [items, metadata], [items] or a plain list of items."""
    if not isinstance(value, (list, tuple)):
        raise DynamicError('a dynamic block returns a DataFrame (one row per item) or a list of items, [items, metadata] '
                           'as in Mage; it returned %s' % type(value).__name__)
    pair = 1 <= len(value) <= 2 and isinstance(value[0], (list, tuple)) and (len(value) == 1 or isinstance(value[1], (list, tuple)) or value[1] is None)
    items = list(value[0]) if pair else list(value)
    metadata = list(value[1] or []) if pair and len(value) == 2 else []
    if metadata and len(metadata) != len(items):
        raise DynamicError('the dynamic block returned %d items but %d metadata entries: give one metadata dict per item' % (len(items), len(metadata)))
    if any(not isinstance(m, dict) for m in metadata):
        raise DynamicError('each metadata entry of a dynamic block is a dict, like {"block_uuid": "for_user_1"}')
    seen = set()
    for m in metadata:
        uuid = m.get('block_uuid')
        if uuid is not None and uuid in seen:
            raise DynamicError('two metadata entries have block_uuid %r: each must be unique' % (uuid,))
        seen.add(uuid)
    return items, metadata


def dynamic_frame(value, block_id):
    """The items of a Mage dynamic block's return value as Pipewright's list of items: a DataFrame, one row each."""
    import json

    import pandas as pd

    items, metadata = split_dynamic(value)
    columns = {
        '_mage_index': pd.Series(range(len(items)), dtype='int64'),
        '_mage_item': pd.Series([json.dumps(i, default=str) for i in items], dtype=object),
        '_mage_metadata': pd.Series([json.dumps(metadata[n] if metadata else None, default=str) for n in range(len(items))], dtype=object),
        '_mage_block': pd.Series([block_id] * len(items), dtype=object),
    }
    if items and all(isinstance(i, dict) for i in items):
        keys = [k for k in dict.fromkeys(k for i in items for k in i) if str(k) not in ITEM_COLUMNS]
        for k in keys:
            columns[str(k)] = pd.Series([i.get(k) for i in items], dtype=object)
    return pd.DataFrame(columns)


def child_item(job):
    """For a child of a Mage dynamic block: (upstream id, item, metadata, index); else None."""
    import json

    item = job.get('mageItem')
    if not item:
        return None
    return item['upstream'], json.loads(item['item']), json.loads(item['metadata'] or 'null'), item['index']
