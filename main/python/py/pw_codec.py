"""Pipewright's typed data exchange between DuckDB and pandas: reading (pw_output.py writes).

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

import numpy as np
import pandas as pd

INT_DTYPES = {
    'TINYINT': 'int8', 'SMALLINT': 'int16', 'INTEGER': 'int32', 'BIGINT': 'int64',
    'UTINYINT': 'uint8', 'USMALLINT': 'uint16', 'UINTEGER': 'uint32', 'UBIGINT': 'uint64',
}
DUCKDB_INTS = {v: k for k, v in INT_DTYPES.items()}
NAT = np.iinfo('int64').min
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
        # NULLs come as a separate 0/1 column ('validity'); without one, integers with NULLs are read as text, since
        # pandas parses nullable Int64 through floats (inexact past 2**53) and slowly.
        return object if col.get('nulls') and col.get('validity') is None else INT_DTYPES.get(col['type'], 'int64')
    return object


def read_table(path, columns, fmt):
    """The DataFrame of one exchanged table: columns named and typed as upstream wrote them."""
    if fmt == 'parquet':
        return _decode_wire(read_parquet_wire(path), columns, fmt)
    if not columns or _is_empty(path):
        return _decode_wire(_empty_wire(columns), columns, fmt)
    return _decode_wire(_read_csv_wire(path, columns), columns, fmt)


def read_batches(path, columns, fmt, batch_rows):
    """The same table as DataFrames of at most `batch_rows` rows, read as they are asked for (memory: one batch)."""
    if fmt == 'parquet':
        import pyarrow.parquet as pq

        mapping = _arrow_int_mapping()
        for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_rows):
            yield _decode_wire(batch.to_pandas(types_mapper=mapping.get), columns, fmt)
        return
    if not columns or _is_empty(path):
        return
    for chunk in _read_csv_wire(path, columns, batch_rows):
        yield _decode_wire(chunk.reset_index(drop=True), columns, fmt)


def _empty_wire(columns):
    return pd.DataFrame({'c%d' % i: pd.Series([], dtype=csv_dtype(c)) for i, c in enumerate(columns)})


def _read_csv_wire(path, columns, chunksize=None):
    """The CSV wire file as a DataFrame of wire columns (or an iterator of them, with chunksize)."""
    names = ['c%d' % i for i in range(len(columns))]
    nulls = ['n%d' % i for i in range(sum(c.get('validity') is not None for c in columns))]
    # Only an empty field is NULL; 'nan' is a float's NaN, never a string's null.
    na = {n: ([''] if c.get('nulls') and c.get('validity') is None else []) + (['nan'] if c['kind'] == 'float' else [])
          for n, c in zip(names, columns)}
    dtypes = {n: csv_dtype(c) for n, c in zip(names, columns)}
    dtypes.update({n: 'int8' for n in nulls})
    return pd.read_csv(
        path, header=None, names=names + nulls, dtype=dtypes, chunksize=chunksize,
        keep_default_na=False, na_values=na, float_precision='round_trip', quoting=csv.QUOTE_MINIMAL,
        encoding='utf-8', engine='c', skip_blank_lines=False,  # a one-column row of NULL is an empty line
    )


def _decode_wire(wire, columns, fmt):
    out = {}
    for i, col in enumerate(columns):
        mask = None if col.get('validity') is None or fmt == 'parquet' else wire.pop('n%d' % col['validity']).to_numpy() != 0
        out[col['name']] = decode(col, wire.pop('c%d' % i), mask)
    return pd.DataFrame(out)


def _arrow_int_mapping():
    import pyarrow as pa

    return {getattr(pa, t)(): pd.api.types.pandas_dtype(nullable(t)) for t in INT_DTYPES.values()}


def read_parquet_wire(path):
    """The pyarrow path: wire columns with pandas' nullable integer dtypes, like the CSV path's."""
    import pyarrow.parquet as pq

    return pq.read_table(path).to_pandas(types_mapper=_arrow_int_mapping().get)


def _is_empty(path):
    with open(path, 'rb') as f:
        return not f.read(1)


def decode(col, s, mask=None):
    """A wire column as the pandas column users get; `mask` marks NULLs when they travel apart from the values."""
    kind, name = col['kind'], col['name']
    mask = s.isna().to_numpy() if mask is None else mask
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
        return pd.Series(map_values(ints, mask, _time_of), dtype=object)
    values = s.to_numpy(dtype=object)
    if col.get('prefixed'):
        values = map_values(values, mask, lambda v: v[1:])
    if kind == 'str':
        values[mask] = None
        return pd.Series(values, dtype=object)
    convert = {'decimal': decimal.Decimal, 'hugeint': int, 'blob': base64.b64decode}[kind]
    return pd.Series(map_values(values, mask, convert), dtype=object)


def _int_values(s, mask, dtype):
    """A wire integer column as a numpy array of `dtype` (0 under NULLs), whether pandas read it as text or integers."""
    if s.dtype != object:
        return s.to_numpy(dtype=dtype, na_value=0)
    values = np.zeros(len(s), dtype=dtype)
    values[~mask] = s.to_numpy(dtype=object)[~mask].astype(dtype)
    return values


def map_values(values, mask, convert):
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
