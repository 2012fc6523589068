"""Mage compatibility for Python blocks: Mage's decorators and the `mage_ai` modules its templates import, without Mage.

Installed into sys.modules by pw_harness.py before a block file runs, so `from mage_ai.io.file import FileIO` and the
`if 'transformer' not in globals(): from mage_ai.data_preparation.decorators import transformer` header both work.
`Postgres(...).export(df, schema, table, if_exists=...)` hands the DataFrame to Pipewright: it is written as an exchange
file and, once the function returned, Pipewright's own Postgres exporter loads it with the connection imported from
the io_config profile (`<profile>_postgres`). Loads and the cloud classes (BigQuery, GoogleCloudStorage) raise an
error naming the native block to use instead.
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


class Postgres(_Closing):
    """Mage's Postgres class: export() hands the DataFrame to Pipewright's Postgres exporter; load() is a native block."""

    def __init__(self, profile='default'):
        self.profile = profile

    @classmethod
    def with_config(cls, config=None):
        return cls(getattr(config, 'profile', 'default') or 'default')

    def export(self, df, schema_name=None, table_name=None, index=True, if_exists='replace', **kwargs):
        import pw_output

        if not table_name:
            raise ValueError('Postgres.export needs a table name')
        if if_exists not in ('replace', 'append', 'fail'):
            raise ValueError("Postgres.export if_exists=%r: use 'replace', 'append' or 'fail'" % (if_exists,))
        if index and any(n is not None for n in df.index.names):
            df = df.reset_index()
        path = os.path.join(_exchange['dir'], 'handoff_%d.%s' % (len(HANDOFFS), _exchange['format']))
        warn = lambda message: logging.getLogger('pipewright').warning(message)  # noqa: E731
        columns, rows = pw_output.write_table(path, pw_output.prepare_output(df, {}, warn), _exchange['format'])
        connection = re.sub(r'[^A-Za-z0-9_]', '_', '%s_postgres' % self.profile)
        HANDOFFS.append({'connection': connection, 'schema': schema_name, 'table': table_name, 'mode': if_exists,
                         'path': path, 'format': _exchange['format'], 'columns': columns, 'rows': rows})

    def load(self, *args, **kwargs):
        raise NotImplementedError('mage_ai.io Postgres.load runs only as a native block in Pipewright: use a postgres '
                                  'source block (pipewright import mage converts Mage template loaders to one)')


def _unsupported(name, native):
    class Unsupported(_Closing):
        @classmethod
        def with_config(cls, config=None):
            return cls()

        def _refuse(self, *args, **kwargs):
            raise NotImplementedError('mage_ai.io %s runs only as a native block in Pipewright: use a %s block '
                                      '(pipewright import mage converts Mage template exporters to one)' % (name, native))

        load = export = _refuse

    Unsupported.__name__ = name
    return Unsupported


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
        'mage_ai.io.bigquery': {'BigQuery': _unsupported('BigQuery', 'bigquery')},
        'mage_ai.io.google_cloud_storage': {'GoogleCloudStorage': _unsupported('GoogleCloudStorage', 'gcs')},
    }
    for name, attrs in mods.items():
        module = _module(name, **attrs)
        module.__path__ = []  # a package, so submodule imports resolve through sys.modules
        sys_modules[name] = module
