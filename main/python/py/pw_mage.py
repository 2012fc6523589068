"""Mage compatibility for Python blocks: Mage's decorators and the `mage_ai` modules its templates import, without Mage.

Installed into sys.modules by pw_harness.py before a block file runs, so `from mage_ai.io.file import FileIO` and the
`if 'transformer' not in globals(): from mage_ai.data_preparation.decorators import transformer` header both work.
Database and cloud classes (Postgres, BigQuery, GoogleCloudStorage) raise a clear error naming what to use instead:
`pipewright import mage` turns template exporters into native export blocks, which stream with Pipewright's connections.
"""
import os
import types

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


def install(sys_modules, project_dir, decorators):
    """Registers the `mage_ai` modules Mage's block templates import; `decorators` maps Mage names to markers."""
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
        'mage_ai.io.postgres': {'Postgres': _unsupported('Postgres', 'postgres')},
        'mage_ai.io.bigquery': {'BigQuery': _unsupported('BigQuery', 'bigquery')},
        'mage_ai.io.google_cloud_storage': {'GoogleCloudStorage': _unsupported('GoogleCloudStorage', 'gcs')},
    }
    for name, attrs in mods.items():
        module = _module(name, **attrs)
        module.__path__ = []  # a package, so submodule imports resolve through sys.modules
        sys_modules[name] = module
