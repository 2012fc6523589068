"""What a block function returned, made into the block's result: a DataFrame written as the output (whole, or batch
by batch from a generator), a dynamic block's items, or a condition's or sensor's True/False."""
import logging

import pw_args
import pw_codec
import pw_output
from pw_errors import BlockError, def_line


def as_frame(value, fn, role):
    """The DataFrame a function returned; Mage's list of dicts (rows) or dict (one row, or columns of lists) too."""
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        return value
    if isinstance(value, pd.Series):
        return value.to_frame()
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, dict) for v in value):
        return pd.DataFrame.from_records(list(value))
    if isinstance(value, dict) and value:
        is_columns = all(isinstance(v, (list, tuple)) for v in value.values())
        return pd.DataFrame(value) if is_columns else pd.DataFrame([value])
    hint = ' (is a return statement missing?)' if value is None else ''
    raise BlockError('the %s function %s returned %s%s: return a pandas DataFrame (or a list of dicts, one per row)'
                     % (role, fn.__name__, type(value).__name__, hint), def_line(fn))


def verdict(value, fn, role):
    """A @condition's or @sensor's answer: True or False (numpy's bool too), nothing else."""
    if isinstance(value, bool) or type(value).__name__ == 'bool_':
        return bool(value)
    raise BlockError('the @%s function %s returned %s, not True or False' % (role, fn.__name__, type(value).__name__), def_line(fn))


def dynamic_output(value, fn, job):
    """A dynamic block's items: its DataFrame (one row per item), or Mage's [items, metadata] as rows."""
    import pandas as pd
    import pw_mage

    if isinstance(value, pd.DataFrame):
        return value
    try:
        return pw_mage.dynamic_frame(value, job['blockId'])
    except pw_mage.DynamicError as e:
        raise BlockError('%s: %s' % (fn.__name__, e), def_line(fn)) from None


def write_output(value, fn, job, hints):
    """Writes what the function returned as the block's output; returns (schema, rows, what @test functions get)."""
    warn = lambda message: logging.getLogger('pipewright').warning(message)  # noqa: E731
    path, fmt = job['output']['path'], job['output']['format']
    if not job.get('dynamic') and pw_args.is_stream(fn, value):
        return _write_stream(value, fn, job, hints, warn)
    value = pw_args.to_pandas(value)
    frame = dynamic_output(value, fn, job) if job.get('dynamic') else as_frame(value, fn, job['role'])
    try:
        schema, rows = pw_output.write_table(path, pw_output.prepare_output(frame, hints, warn), fmt)
    except (pw_codec.ExchangeError, ValueError, TypeError, OverflowError) as e:
        raise BlockError('the DataFrame %s returned cannot be written: %s' % (fn.__name__, e), def_line(fn)) from e
    return schema, rows, value if isinstance(value, (list, tuple, dict)) else frame  # Mage tests get the list or dict returned


def _write_stream(batches, fn, job, hints, warn):
    """A generator's batches, each written as it comes: the output never is in memory whole, so @test functions do not run."""
    writer = pw_output.StreamWriter(job['output']['path'], job['output']['format'], hints, warn)
    try:
        for batch in batches:
            writer.write(as_frame(pw_args.to_pandas(batch), fn, job['role']))
    except (pw_codec.ExchangeError, ValueError, TypeError, OverflowError) as e:
        if not _raised_here(e):  # raised in the user's generator: reported with its traceback
            raise
        raise BlockError('batch %d that %s yielded cannot be written: %s' % (writer.batches, fn.__name__, e), def_line(fn)) from e
    finally:
        schema, rows = writer.close()
    if schema is None:
        raise BlockError('%s yielded no DataFrame: yield at least one (an empty one keeps the columns)' % fn.__name__, def_line(fn))
    logging.getLogger('pipewright').info('%s rows written in %d batches' % (format(rows, ','), writer.batches))
    return schema, rows, None


def _raised_here(error):
    """Whether an error came from writing a batch (ours to explain) rather than from the user's generator."""
    import traceback

    frames = traceback.extract_tb(error.__traceback__)
    return bool(frames) and frames[-1].filename.endswith(('pw_output.py', 'pw_codec.py'))
