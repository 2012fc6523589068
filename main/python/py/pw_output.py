"""Pipewright's typed data exchange, the writing half: a returned DataFrame -> DuckDB types -> a wire file.

See pw_codec.py for the wire format. A column's DuckDB type comes from its dtype (object columns from their values,
through pandas' own inference); `hints` (upstream column types by name) keep a DECIMAL(p,s) or TIMESTAMP_NS as it was.
"""
import base64
import datetime as dt
import decimal
import json

import numpy as np
import pandas as pd

from pw_codec import DUCKDB_INTS, EPOCH_ORDINAL, ExchangeError, map_values

ROWS_PER_WRITE = 100_000


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
    out = values if convert is None else map_values(values, mask, convert)
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
        _append_csv(f, prepared, rows)


def _append_csv(f, prepared, rows):
    for start in range(0, rows, ROWS_PER_WRITE):
        cells = [_csv_cells(kind, wire_column(duck, kind, s.iloc[start:start + ROWS_PER_WRITE])) for _n, duck, kind, s in prepared]
        f.write('\n'.join(map(','.join, zip(*cells))))
        f.write('\n')


class StreamWriter:
    """Writes a block's output batch by batch (a generator function's yields): the first batch fixes the columns and
    their types, every later one must match them. Memory: one batch."""

    def __init__(self, path, fmt, hints, warn):
        self.path, self.fmt, self.hints, self.warn = path, fmt, dict(hints), warn
        self.schema, self.rows, self.batches, self._file, self._parquet = None, 0, 0, None, None

    def write(self, df):
        prepared = prepare_output(df, self.hints, self.warn)
        types = [(name, duck, kind) for name, duck, kind, _s in prepared]
        self.batches += 1
        if self.schema is None:
            self.schema = [{'name': n, 'type': d, 'kind': k, 'nulls': False} for n, d, k in types]
            self.hints.update({n: d for n, d, _k in types})  # later batches keep a DECIMAL(p,s) or TIMESTAMP_NS as the first
        elif types != [(c['name'], c['type'], c['kind']) for c in self.schema]:
            first = ', '.join('%s %s' % (c['name'], c['type']) for c in self.schema)
            now = ', '.join('%s %s' % (n, d) for n, d, _k in types)
            raise ExchangeError('batch %d has columns %s; the first batch had %s: yield the same columns and types each time'
                                % (self.batches, now, first))
        rows = len(prepared[0][3])
        for col, (_n, _d, _k, s) in zip(self.schema, prepared):
            col['nulls'] = col['nulls'] or bool(s.isna().any())
        if self.fmt == 'parquet':
            self._write_parquet_batch(prepared)
        else:
            if self._file is None:
                self._file = open(self.path, 'w', encoding='utf-8', newline='')
            _append_csv(self._file, prepared, rows)
        self.rows += rows

    def _write_parquet_batch(self, prepared):
        import pyarrow as pa
        import pyarrow.parquet as pq

        wire = pd.DataFrame({'c%d' % i: wire_column(duck, kind, s).reset_index(drop=True) for i, (_n, duck, kind, s) in enumerate(prepared)})
        table = pa.Table.from_pandas(wire, preserve_index=False)
        if self._parquet is None:
            self._parquet = pq.ParquetWriter(self.path, table.schema)
        self._parquet.write_table(table.cast(self._parquet.schema))

    def close(self):
        """The schema and row count, as write_table returns them; None when nothing was yielded."""
        for handle in (self._file, self._parquet):
            if handle is not None:
                handle.close()
        return self.schema, self.rows


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
