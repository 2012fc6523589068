"""What each upstream argument of a block function is, from its parameter's annotation.

- no annotation, or pandas.DataFrame: a pandas DataFrame (the whole upstream output in memory);
- Iterator[pd.DataFrame] (or Iterable / Generator of it): a generator of DataFrames of at most `batch_rows` rows,
  read from the exchange file as the function asks for them, so only one batch is in memory;
- polars.DataFrame, pyarrow.Table: that library's table, converted from the DataFrame, when the library is installed.
String annotations ('pl.DataFrame') count too. The return value may be a DataFrame, a polars DataFrame, a pyarrow
Table, or, from a generator function, DataFrames yielded one batch at a time.
"""
import collections.abc
import importlib.util
import inspect
import typing

import pw_codec
from pw_errors import MissingModule

ITERATORS = (collections.abc.Iterator, collections.abc.Iterable, collections.abc.Generator)
ITERATOR_NAMES = ('Iterator', 'Iterable', 'Generator', 'typing.Iterator', 'typing.Iterable', 'typing.Generator',
                  'collections.abc.Iterator', 'collections.abc.Iterable', 'collections.abc.Generator')
MODULE_OF = {'polars': 'polars', 'arrow': 'pyarrow'}


def kind_of(annotation):
    """'pandas', 'batches', 'polars' or 'arrow' for one parameter's annotation."""
    if annotation is inspect.Parameter.empty:
        return 'pandas'
    if isinstance(annotation, str):
        text = annotation.replace(' ', '')
        outer = text.split('[', 1)[0]
        if '[' in text and outer in ITERATOR_NAMES:
            return 'batches'
        return _named(text)
    origin = typing.get_origin(annotation)
    if origin in ITERATORS:
        return 'batches'
    module = getattr(annotation, '__module__', '') or ''
    return _named('%s.%s' % (module, getattr(annotation, '__name__', '')))


def _named(text):
    head = text.split('.', 1)[0]
    if head in ('pl', 'polars') and text.endswith('DataFrame'):
        return 'polars'
    if head in ('pa', 'pyarrow') and text.endswith('Table'):
        return 'arrow'
    return 'pandas'


def input_kinds(fn, count, def_line):
    """The kind of each of the first `count` positional parameters (those after them, *args included, get DataFrames)."""
    params = [p for p in inspect.signature(fn).parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    kinds = [kind_of(p.annotation) for p in params[:count]] + ['pandas'] * max(0, count - len(params))
    for param, kind in zip(params, kinds):
        module = MODULE_OF.get(kind)
        if module and importlib.util.find_spec(module) is None:
            what = 'a polars DataFrame' if kind == 'polars' else 'a pyarrow Table'
            raise MissingModule(module, '%s(%s: …) asks for %s, and %s is not installed' % (fn.__name__, param.name, what, module), def_line(fn))
    return kinds


def load(spec, kind, batch_rows):
    """One upstream argument of `kind` from its exchange file (spec: path, columns, format)."""
    if kind == 'batches':
        return pw_codec.read_batches(spec['path'], spec['columns'], spec['format'], batch_rows)
    frame = pw_codec.read_table(spec['path'], spec['columns'], spec['format'])
    if kind == 'polars':
        import polars as pl

        return pl.from_pandas(frame)
    if kind == 'arrow':
        import pyarrow as pa

        return pa.Table.from_pandas(frame, preserve_index=False)
    return frame


def to_pandas(value):
    """A polars DataFrame or pyarrow Table returned by the function, as pandas; anything else unchanged."""
    module = type(value).__module__ or ''
    if module.startswith(('polars', 'pyarrow')) and hasattr(value, 'to_pandas'):
        return value.to_pandas()
    return value


def is_stream(fn, value):
    """Whether the function gives its output batch by batch (a generator function, or any iterator it returned)."""
    return inspect.isgeneratorfunction(fn) or isinstance(value, collections.abc.Iterator)
