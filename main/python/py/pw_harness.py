"""Runs one Pipewright Python block in this process: `python pw_harness.py <job.json>`.

Pipewright (main/python/python-process.ts) reads this process's original stdout as a channel of JSON lines:
{"t": "log", ...} while the block runs, then one {"t": "result", ...} or {"t": "error", ...}. The block's own
print() and logging output become log messages; anything written straight to file descriptor 1 or 2 (C code,
subprocesses) arrives on stderr. When Pipewright goes away, stdin closes and this process stops its group.
"""
import datetime as dt
import inspect
import io
import json
import logging
import os
import signal
import sys
import threading
import traceback
import types

from pw_errors import BlockError, MissingModule, def_line, describe, is_transient, user_place

LEVELS = {logging.DEBUG: 'debug', logging.INFO: 'info', logging.WARNING: 'warn', logging.ERROR: 'error', logging.CRITICAL: 'error'}
# The decorators a block file may use, and the block role each marks. Mage's names (data_loader, transformer,
# data_exporter, ...) can map onto the same roles.
ROLES = {'source': 'source', 'transform': 'transform', 'export': 'export'}


class Channel:
    """The JSON-lines channel to Pipewright, safe to use from any thread."""

    def __init__(self):
        fd = os.dup(1)
        os.dup2(2, 1)  # raw writes to fd 1 (C code, subprocesses) must not corrupt the channel
        self.stream = os.fdopen(fd, 'w', encoding='utf-8', buffering=1)
        self.lock = threading.Lock()

    def send(self, message):
        line = json.dumps(message, default=str)
        with self.lock:
            self.stream.write(line + '\n')
            self.stream.flush()


class LineLog(io.TextIOBase):
    """sys.stdout / sys.stderr of the block: each complete line becomes a log message."""

    def __init__(self, channel, level):
        self.channel, self.level, self.pending = channel, level, ''

    def writable(self):
        return True

    def write(self, text):
        self.pending += text
        *lines, self.pending = self.pending.split('\n')
        for line in lines:
            self.channel.send({'t': 'log', 'level': self.level, 'msg': line})
        return len(text)

    def flush(self):
        if self.pending:
            self.channel.send({'t': 'log', 'level': self.level, 'msg': self.pending})
            self.pending = ''


class ChannelHandler(logging.Handler):
    def __init__(self, channel):
        super().__init__()  # the root logger's level decides (INFO unless the block lowers it)
        self.channel = channel

    def emit(self, record):
        try:
            self.channel.send({'t': 'log', 'level': LEVELS.get(record.levelno, 'info'), 'msg': self.format(record)})
        except Exception:  # noqa: BLE001 - logging must never fail the block; logging's own policy
            self.handleError(record)


def watch_parent():
    """Stops this process (and what it started) when Pipewright's end of stdin closes: Pipewright is gone."""

    def wait():
        try:
            while sys.stdin.buffer.read(65536):
                pass
        except OSError:
            pass  # a closed or broken stdin means the same as EOF
        if hasattr(os, 'killpg'):
            os.killpg(os.getpgid(0), signal.SIGKILL)
        os._exit(1)

    threading.Thread(target=wait, daemon=True).start()


def make_decorators(registry):
    def marker(role):
        def decorate(fn):
            registry.append((role, fn))
            return fn
        decorate.__name__ = role
        return decorate

    import pw_mage

    names = list(ROLES.items()) + [('test', 'test')] + list(pw_mage.MAGE_ROLES.items())
    return {name: marker(role) for name, role in names}


def load_block(job, decorators):
    path = job['file']
    with open(path, encoding='utf-8') as f:
        source = f.read()
    module = types.ModuleType('pw_block_' + job['blockId'])
    module.__file__ = path
    module.__dict__.update(decorators)
    sys.modules[module.__name__] = module
    code = compile(source, path, 'exec')  # a SyntaxError names the file, line and column
    exec(code, module.__dict__)  # noqa: S102 - running the user's block is the point
    return module


def pick_function(job, module, registry):
    role, rel = job['role'], job['relFile']
    if job.get('function'):
        fn = getattr(module, job['function'], None)
        if not callable(fn):
            raise BlockError('%s has no function named %s (config.function)' % (rel, job['function']))
        return fn
    marked = [fn for r, fn in registry if r == role]
    if len(marked) == 1:
        return marked[0]
    if len(marked) > 1:
        names = ', '.join(fn.__name__ for fn in marked)
        raise BlockError('%s has %d @%s functions (%s): keep one, or name it in config.function' % (rel, len(marked), role, names),
                         def_line(marked[1]))
    others = ['@%s %s' % (r, fn.__name__) for r, fn in registry if r != 'test']
    found = '; it has ' + ', '.join(others) if others else ''
    raise BlockError('%s has no @%s function: decorate the function this %s block runs with @%s%s' % (rel, role, role, role, found))


def run_kwargs(job):
    variables = dict(job['variables'])
    for name in ('execution_date', 'interval_start', 'interval_end'):
        if isinstance(variables.get(name), str):
            variables[name] = parse_time(variables[name])
    variables.update(run_id=job['runId'], block_id=job['blockId'], pipeline_id=job['pipelineId'])
    return variables


def parse_time(text):
    value = dt.datetime.fromisoformat(text.replace('Z', '+00:00'))
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


def call(fn, args, kwargs, what):
    """Calls the user's function with the upstream DataFrames and the keyword arguments it accepts."""
    sig = inspect.signature(fn)
    takes_all = any(p.kind == p.VAR_KEYWORD for p in sig.parameters.values())
    named = {k: v for k, v in kwargs.items() if takes_all or k in sig.parameters}
    try:
        sig.bind(*args, **named)
    except TypeError as e:
        raise BlockError('%s(%s) cannot take %s: %s' % (fn.__name__, ', '.join(sig.parameters), what, e), def_line(fn)) from None
    return fn(*args, **named)


def run_tests(registry, output, kwargs, job):
    results = []
    for role, fn in registry:
        if role != 'test':
            continue
        try:
            call(fn, [output], kwargs, 'the output')
            results.append({'name': fn.__name__, 'passed': True})
        except Exception as e:  # noqa: BLE001 - a failing test is a result, not a crash
            place = user_place(e, job) or {'line': def_line(fn)}
            results.append({'name': fn.__name__, 'passed': False, 'message': describe(e, job), **place})
    return results


def run(job, channel):
    registry = []
    decorators = make_decorators(registry)
    sys.modules['pipewright'] = types.SimpleNamespace(**decorators)  # `from pipewright import transform` works too
    import pw_mage

    pw_mage.install(sys.modules, job['projectDir'], decorators, job.get('handoff'))  # Mage block files run unchanged
    for folder in (os.path.dirname(job['file']), job['projectDir']):
        if folder not in sys.path:
            sys.path.append(folder)  # after the standard library: a block named numbers.py must not shadow `numbers`
    import pandas  # noqa: F401 - fail here, with the module named, when pandas is missing
    import pw_args
    import pw_results

    module = load_block(job, decorators)
    fn = pick_function(job, module, registry)
    args, hints = upstream_args(job, fn)
    kwargs = run_kwargs(job)
    child = pw_mage.child_item(job)
    if child:
        kwargs.update(metadata=child[2], dynamic_block_index=child[3])
    upstream = '%d upstream DataFrame%s' % (len(args), '' if len(args) == 1 else 's')
    value = call(fn, args, kwargs, upstream)
    result = {'t': 'result', 'rows': None, 'columns': None}
    if job['role'] in ('condition', 'sensor'):  # a predicate: no output, no tests
        channel.send(dict(result, tests=[], handoffs=[], value=pw_results.verdict(value, fn, job['role'])))
        return
    if job['output']:
        schema, rows, value = pw_results.write_output(value, fn, job, hints)
        result.update(rows=rows, columns=schema)
    elif pw_args.is_stream(fn, value):
        value = list(value)  # an export's generator runs to the end
    if value is None and job['output']:  # streamed: the output was never whole in memory
        if any(role == 'test' for role, _fn in registry):
            logging.getLogger('pipewright').warning('@test functions do not run on a streamed output: use checks: in pipeline.yaml')
        result['tests'] = []
    else:
        result['tests'] = run_tests(registry, value, kwargs, job)
    result['handoffs'] = pw_mage.HANDOFFS  # Mage io exports for Pipewright's exporters to load
    channel.send(result)


def upstream_args(job, fn):
    """The function's positional arguments, one per upstream (DataFrame, batches, polars or pyarrow as its parameters
    ask), and the upstream column types by name."""
    import pw_args
    import pw_codec
    import pw_mage

    child = pw_mage.child_item(job)  # a child of a Mage dynamic block gets its item in place of the parent's output
    kinds = pw_args.input_kinds(fn, len(job['inputs']), def_line)
    args = []
    for i, kind in zip(job['inputs'], kinds):
        if child and i['id'] == child[0]:
            args.append(child[1])
            continue
        try:
            args.append(pw_args.load(i, kind, job.get('batchRows') or 100_000))
        except pw_codec.ExchangeError as e:
            raise BlockError('upstream %s cannot become a DataFrame: %s' % (i['id'], e)) from e
    hints = {c['name']: c['type'] for i in job['inputs'] for c in i.get('columns', [])}
    return args, hints


def main():
    channel = Channel()
    watch_parent()
    sys.stdout = LineLog(channel, 'info')
    sys.stderr = LineLog(channel, 'warn')
    root = logging.getLogger()
    root.addHandler(ChannelHandler(channel))
    root.setLevel(logging.INFO)
    with open(sys.argv[1], encoding='utf-8') as f:
        job = json.load(f)
    try:
        run(job, channel)
    except MissingModule as e:
        channel.send({'t': 'error', 'missingModule': e.module, 'message': str(e), 'file': job['relFile'], **({'line': e.line} if e.line else {})})
    except ModuleNotFoundError as e:
        channel.send({'t': 'error', 'missingModule': e.name, 'message': describe(e, job), **(user_place(e, job) or {})})
    except BlockError as e:
        channel.send({'t': 'error', 'message': str(e), 'file': job['relFile'], **({'line': e.line} if e.line else {})})
    except BaseException as e:  # noqa: BLE001 - every failure, SystemExit and KeyboardInterrupt included, is reported
        place = user_place(e, job)
        if place is None and not isinstance(e, (ImportError, SystemExit, KeyboardInterrupt)):
            # Raised outside the user's files: a bug in Pipewright's harness, reported with its whole traceback.
            channel.send({'t': 'error', 'internal': True, 'message': '%s: %s' % (type(e).__name__, e), 'stack': traceback.format_exc()})
        else:
            channel.send({'t': 'error', 'message': describe(e, job), 'transient': is_transient(e), **(place or {'file': job['relFile']})})
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    os._exit(0)  # daemon threads of the block must not keep the process alive


if __name__ == '__main__':
    main()
