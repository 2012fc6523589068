"""Pipewright's typed data exchange between DuckDB and pandas.

Each table travels as a file of "wire" columns named c0, c1, ... plus a schema (name, DuckDB type, wire kind):
Parquet read and written by pyarrow when it is importable, otherwise CSV parsed and written by pandas. Wire kinds
keep types exact through text: timestamps as integer microseconds (nanoseconds for TIMESTAMP_NS), dates as days,
times as microseconds, decimals as their digits, booleans as 0/1. DuckDB encodes and decodes the other side
(main/python/exchange-sql.ts). In CSV an empty field is NULL: a string column from DuckDB that holds both NULL and ''
comes with every value prefixed by one character ('prefixed'); strings written here are always quoted instead.
"""
import base64
import csv
import datetime as dt
import decimal
import json

import numpy as np
import pandas as pd

INT_DTYPES = {
    'TINYINT': 'int8', 'SMALLINT': 'int16', 'INTEGER': 'int32', 'BIGINT': 'int64',
    'UTINYINT': 'uint8', 'USMALLINT': 'uint16', 'UINTEGER': 'uint32', 'UBIGINT': 'uint64',
}
DUCKDB_INTS = {v: k for k, v in INT_DTYPES.items()}
NAT = np.iinfo('int64').min
ROWS_PER_WRITE = 100_000
PANDAS_RANGE = '1677-09-21 to 2262-04-11'
EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


class ExchangeError(Exception):
    """The data cannot cross as it is (a value out of range, a column of an unsupported kind)."""


def nullable(dtype):
    """'int64' -> 'Int64', 'uint8' -> 'UInt8'."""
    return dtype[0].upper() + dtype[1:] if dtype.startswith('int') else 'U' + dtype[1:].capitalize()


# ---- reading: wire file -> DataFrame ------------------------------------------------------------------------


def csv_dtype(col):
    kind = col['kind']
    if kind == 'float':
        return 'float32' if col['type'] == 'FLOAT' else 'float64'
    if kind in ('int', 'bool', 'ts', 'tstz', 'date', 'time'):
        # With NULLs, integers are read as text: pandas parses nullable Int64 through floats (inexact past 2**53) and slowly.
        return object if col.get('nulls') else INT_DTYPES.get(col['type'], 'int64')
    return object


def read_table(path, columns, fmt):
    """The DataFrame of one exchanged table: columns named and typed as upstream wrote them."""
    names = ['c%d' % i for i in range(len(columns))]
    if fmt == 'parquet':
        wire = read_parquet_wire(path)
    elif not columns or _is_empty(path):
        wire = pd.DataFrame({n: pd.Series([], dtype=csv_dtype(c)) for n, c in zip(names, columns)})
    else:
        # Only an empty field is NULL; 'nan' is a float's NaN, never a string's null.
        na = {n: ([''] if c.get('nulls') else []) + (['nan'] if c['kind'] == 'float' else []) for n, c in zip(names, columns)}
        wire = pd.read_csv(
            path, header=None, names=names, dtype={n: csv_dtype(c) for n, c in zip(names, columns)},
            keep_default_na=False, na_values=na, float_precision='round_trip', quoting=csv.QUOTE_MINIMAL,
            encoding='utf-8', engine='c',
        )
    out = {}
    for name, col in zip(names, columns):
        out[col['name']] = decode(col, wire.pop(name))
    return pd.DataFrame(out)


def read_parquet_wire(path):
    """The pyarrow path: wire columns with pandas' nullable integer dtypes, like the CSV path's."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    mapping = {getattr(pa, t)(): pd.api.types.pandas_dtype(nullable(t)) for t in INT_DTYPES.values()}
    return pq.read_table(path).to_pandas(types_mapper=mapping.get)


def _is_empty(path):
    with open(path, 'rb') as f:
        return not f.read(1)


def decode(col, s):
    kind, name = col['kind'], col['name']
    mask = s.isna().to_numpy()
    has_nulls = bool(mask.any())
    if kind == 'float':
        return s
    if kind == 'int':
        dtype = INT_DTYPES.get(col['type'], 'int64')
        values = _int_values(s, mask, dtype)
        return pd.Series(pd.arrays.IntegerArray(values, mask)) if has_nulls else pd.Series(values)
    ints = _int_values(s, mask, 'int64') if kind in ('bool', 'ts', 'tstz', 'date', 'time') else None
    if kind == 'bool':
        return pd.Series(pd.arrays.BooleanArray(ints != 0, mask)) if has_nulls else pd.Series(ints != 0)
    if kind in ('ts', 'tstz'):
        factor = 1 if col['type'] == 'TIMESTAMP_NS' else 1000
        return _timestamps(name, ints, mask, factor, kind == 'tstz')
    if kind == 'date':
        values = ints.astype('datetime64[D]').astype(object)
        values[mask] = None
        return pd.Series(values, dtype=object)
    if kind == 'time':
        return pd.Series(_objects(ints, mask, _time_of), dtype=object)
    values = s.to_numpy(dtype=object)
    if col.get('prefixed'):
        values = _objects(values, mask, lambda v: v[1:])
    if kind == 'str':
        values[mask] = None
        return pd.Series(values, dtype=object)
    convert = {'decimal': decimal.Decimal, 'hugeint': int, 'blob': base64.b64decode}[kind]
    return pd.Series(_objects(values, mask, convert), dtype=object)


def _int_values(s, mask, dtype):
    """A wire integer column as a numpy array of `dtype` (0 under NULLs), whether pandas read it as text or integers."""
    if s.dtype != object:
        return s.to_numpy(dtype=dtype, na_value=0)
    values = np.zeros(len(s), dtype=dtype)
    values[~mask] = s.to_numpy(dtype=object)[~mask].astype(dtype)
    return values


def _objects(values, mask, convert):
    """`convert` applied to the values not under `mask`, None under it, as an object array."""
    out = np.full(len(values), None, dtype=object)
    keep = np.flatnonzero(~mask)
    try:
        # fromiter fills an object array without numpy looking into each value (a list assignment would, slowly).
        out[keep] = np.fromiter((convert(v) for v in values[keep]), dtype=object, count=len(keep))
    except TypeError:  # numpy before 1.23 makes no object arrays from iterators
        out[keep] = [convert(v) for v in values[keep]]
    return out


def _time_of(micros):
    seconds, us = divmod(int(micros), 1_000_000)
    minutes, s = divmod(seconds, 60)
    hours, m = divmod(minutes, 60)
    return dt.time(hours % 24, m, s, us)


def _timestamps(name, ints, mask, factor, utc):
    if factor != 1:
        limit = np.iinfo('int64').max // factor
        if ((ints > limit) | (ints < -limit))[~mask].any():
            raise ExchangeError('column %s holds timestamps outside what pandas can hold (%s)' % (name, PANDAS_RANGE))
        ints = ints * factor
    ints = ints.copy()
    ints[mask] = NAT
    out = pd.Series(ints.view('datetime64[ns]'))
    return out.dt.tz_localize('UTC') if utc else out


# ---- writing: DataFrame -> wire file --------------------------------------------------------------------------


def prepare_output(df, hints, warn):
    """The output's columns as (name, duckdb type, wire kind, series) after naming rules; `hints` are upstream types."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError('expected a DataFrame')
    if any(n is not None for n in df.index.names):
        df = df.reset_index()  # a named index holds data (a groupby key): keep it as columns
    names = [_column_name(c) for c in df.columns]
    seen = {}
    for n in names:
        if n.lower() in seen:
            raise ExchangeError('two columns are named %r and %r (names are case-insensitive in DuckDB): rename one' % (seen[n.lower()], n))
        seen[n.lower()] = n
    if not names:
        raise ExchangeError('the DataFrame has no columns: return at least one column')
    out = []
    for i, name in enumerate(names):
        s = df.iloc[:, i]
        duck, kind = column_type(name, s, hints.get(name), warn)
        out.append((name, duck, kind, s))
    return out


def _column_name(c):
    if isinstance(c, tuple):
        return '_'.join(str(p) for p in c if str(p) != '')
    return str(c)


def column_type(name, s, hint, warn):
    """The DuckDB type and wire kind a column is written as."""
    d = s.dtype
    if isinstance(d, pd.CategoricalDtype):
        return column_type(name, s.astype(d.categories.dtype), hint, warn)
    if pd.api.types.is_bool_dtype(d):
        return 'BOOLEAN', 'bool'
    if pd.api.types.is_integer_dtype(d):
        return DUCKDB_INTS[str(d).lower()], 'int'
    if pd.api.types.is_float_dtype(d):
        return ('FLOAT' if str(d).lower() in ('float32', 'float16') else 'DOUBLE'), 'float'
    if isinstance(d, pd.DatetimeTZDtype):
        return 'TIMESTAMPTZ', 'tstz'
    if pd.api.types.is_datetime64_dtype(d):
        return (hint if hint in ('TIMESTAMP_S', 'TIMESTAMP_MS', 'TIMESTAMP_NS') else 'TIMESTAMP'), 'ts'
    if pd.api.types.is_timedelta64_dtype(d):
        return 'INTERVAL', 'interval'
    if pd.api.types.is_string_dtype(d) and not pd.api.types.is_object_dtype(d):
        return 'VARCHAR', 'str'
    if pd.api.types.is_object_dtype(d):
        return _object_type(name, s, hint, warn)
    warn('column %s has dtype %s: written as text' % (name, d))
    return 'VARCHAR', 'text'


# pandas' own (C) inference of object columns, mapped to ours; anything else is classified value by value.
INFERRED = {'string': 'str', 'empty': None, 'boolean': 'bool', 'integer': 'int', 'floating': 'float', 'decimal': 'decimal',
            'datetime': 'datetime', 'date': 'date', 'time': 'time', 'bytes': 'bytes'}


def _object_type(name, s, hint, warn):
    values = s.to_numpy(dtype=object)[~s.isna().to_numpy()]
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    if inferred in INFERRED:
        kinds = {INFERRED[inferred]} - {None}
    elif inferred == 'mixed-integer-float':
        kinds = {'int', 'float'}
    else:
        kinds = {_value_kind(v) for v in values}
    if not kinds or kinds == {'str'}:
        return 'VARCHAR', 'str'
    if len(kinds) == 1:
        kind = next(iter(kinds))
        if kind == 'int':
            return ('BIGINT', 'int') if all(-2**63 <= v < 2**63 for v in values) else ('HUGEINT', 'hugeint')
        if kind == 'decimal':
            return _decimal_type(name, values, hint), 'decimal'
        if kind == 'datetime':
            aware = {v.tzinfo is not None for v in values}
            if len(aware) > 1:
                raise ExchangeError('column %s mixes timestamps with and without a time zone' % name)
            return ('TIMESTAMPTZ', 'tstz') if aware.pop() else ('TIMESTAMP', 'ts')
        return {'bool': ('BOOLEAN', 'bool'), 'float': ('DOUBLE', 'float'), 'date': ('DATE', 'date'), 'time': ('TIME', 'time'),
                'bytes': ('BLOB', 'blob'), 'json': ('VARCHAR', 'json')}[kind]
    if kinds <= {'int', 'float'}:
        return 'DOUBLE', 'float'
    warn('column %s mixes %s values: written as text' % (name, ', '.join(sorted(kinds))))
    return 'VARCHAR', 'text'


def _value_kind(v):
    if isinstance(v, str):
        return 'str'
    if isinstance(v, (bool, np.bool_)):
        return 'bool'
    if isinstance(v, (int, np.integer)):
        return 'int'
    if isinstance(v, (float, np.floating)):
        return 'float'
    if isinstance(v, decimal.Decimal):
        return 'decimal'
    if isinstance(v, dt.datetime):
        return 'datetime'
    if isinstance(v, dt.date):
        return 'date'
    if isinstance(v, dt.time):
        return 'time'
    if isinstance(v, (bytes, bytearray, memoryview)):
        return 'bytes'
    if isinstance(v, (dict, list, tuple)):
        return 'json'
    return type(v).__name__


def _decimal_type(name, values, hint):
    if not all(v.is_finite() for v in values):
        raise ExchangeError('column %s holds a decimal NaN or infinity, which DuckDB cannot store: use None' % name)
    text = np.array([format(v, 'f').lstrip('-') for v in values] or ['0'], dtype=str)
    length, dot = np.char.str_len(text), np.char.find(text, '.')
    scale = int(np.where(dot >= 0, length - dot - 1, 0).max())
    whole = max(1, int(np.where(dot >= 0, dot, length).max()))
    if hint and hint.startswith('DECIMAL('):
        p, s = (int(x) for x in hint[8:-1].split(','))
        if s >= scale and p - s >= whole:
            return hint
    if whole + scale > 38:
        raise ExchangeError('column %s holds decimals with %d digits, more than DuckDB\'s 38: round them or use floats' % (name, whole + scale))
    return 'DECIMAL(%d,%d)' % (max(18, whole + scale), scale)


def wire_column(duck, kind, s):
    """The column's wire values: integers, floats or text, NULL as <NA>/None/NaN."""
    mask = s.isna().to_numpy()
    if kind == 'int':
        return s
    if kind == 'float':
        return s if pd.api.types.is_float_dtype(s.dtype) else s.astype('float64')
    if kind == 'bool':
        return s.astype('boolean').astype('Int8')
    if kind in ('ts', 'tstz'):
        if kind == 'tstz' and not isinstance(s.dtype, pd.DatetimeTZDtype):
            s = pd.to_datetime(s, utc=True)
        if kind == 'ts' and not pd.api.types.is_datetime64_dtype(s.dtype):
            s = pd.to_datetime(s)
        if kind == 'tstz':
            s = s.dt.tz_convert('UTC').dt.tz_localize(None)
        ns = s.to_numpy(dtype='datetime64[ns]').view('int64')
        return _ints(ns if duck == 'TIMESTAMP_NS' else ns // 1000, mask)
    if kind == 'interval':
        ns = pd.to_timedelta(s).to_numpy(dtype='timedelta64[ns]').view('int64')
        return _ints(ns // 1000, mask)
    values = s.to_numpy(dtype=object)
    if kind == 'date':
        days = np.zeros(len(values), dtype='int64')
        days[~mask] = [d.toordinal() - EPOCH_ORDINAL for d in values[~mask]]
        return _ints(days, mask)
    if kind == 'time':
        micros = np.zeros(len(values), dtype='int64')
        micros[~mask] = [((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond for t in values[~mask]]
        return _ints(micros, mask)
    convert = {
        'str': None, 'decimal': lambda v: format(v, 'f'), 'hugeint': str, 'text': str,
        'blob': lambda v: base64.b64encode(bytes(v)).decode('ascii'),
        'json': lambda v: json.dumps(v, default=str),
    }[kind]
    out = values if convert is None else _objects(values, mask, convert)
    out[mask] = None
    return pd.Series(out, dtype=object)


def _ints(values, mask):
    return pd.Series(pd.arrays.IntegerArray(values, mask))


TEXT_KINDS = ('str', 'text', 'json', 'decimal', 'hugeint', 'blob')


def write_table(path, prepared, fmt):
    """Writes the output's wire columns; returns the schema Node decodes them with, and the row count."""
    rows = len(prepared[0][3]) if prepared else 0
    schema = [{'name': name, 'type': duck, 'kind': kind, 'nulls': bool(s.isna().any())} for name, duck, kind, s in prepared]
    if fmt == 'parquet':
        _write_parquet(path, prepared)
    else:
        _write_csv(path, prepared, rows)
    return schema, rows


def _write_csv(path, prepared, rows):
    """CSV built column by column (numpy formats numbers; pandas' to_csv is several times slower). Text is always
    quoted and NULL is an empty unquoted field, so '' and NULL stay apart (DuckDB reads with allow_quoted_nulls=false)."""
    with open(path, 'w', encoding='utf-8', newline='') as f:
        for start in range(0, rows, ROWS_PER_WRITE):
            cells = [_csv_cells(kind, wire_column(duck, kind, s.iloc[start:start + ROWS_PER_WRITE])) for _n, duck, kind, s in prepared]
            f.write('\n'.join(map(','.join, zip(*cells))))
            f.write('\n')


def _csv_cells(kind, wire):
    """One column's CSV fields, as a list of str ('' for NULL)."""
    if kind in TEXT_KINDS:
        return ['' if v is None else _quote(v) for v in wire.to_numpy(dtype=object).tolist()]
    mask = wire.isna().to_numpy()
    if wire.dtype == object:  # Python ints or floats in an object column
        cells = ['' if m else str(v) for v, m in zip(wire.tolist(), mask.tolist())]
    elif str(wire.dtype).lower() == 'float32':
        cells = wire.to_numpy(dtype='float32', na_value=0).astype(str).tolist()  # numpy's shortest float32 text
    else:
        # Python's str() of an int is exact, of a float the shortest text that reads back to the same double.
        dtype = 'float64' if kind == 'float' else 'uint64' if str(wire.dtype).lower() == 'uint64' else 'int64'
        cells = list(map(str, wire.to_numpy(dtype=dtype, na_value=0).tolist()))
    for i in np.flatnonzero(mask).tolist():
        cells[i] = ''
    return cells


def _quote(value):
    return '"' + value.replace('"', '""') + '"'


def _write_parquet(path, prepared):
    import pyarrow as pa
    import pyarrow.parquet as pq

    wire = pd.DataFrame({'c%d' % i: wire_column(duck, kind, s).reset_index(drop=True) for i, (_n, duck, kind, s) in enumerate(prepared)})
    pq.write_table(pa.Table.from_pandas(wire, preserve_index=False), path)
