"""Checks a Python block without running it: `python pw_probe.py <project_dir> <block.py>` prints one JSON object.

It reports the interpreter's version, whether pandas and pyarrow can be found, the block file's syntax error if any,
and the modules that cannot be found (with their lines): those the file imports, and those its parameters' types ask
for (a `pl.DataFrame` needs polars, a `pa.Table` pyarrow). Imports inside `try:` (optional dependencies) and under
`if` tests on globals() (Mage's decorator header) are not required.
"""
import ast
import importlib.util
import json
import os
import sys


def findable(name):
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # a parent package that fails to import, or a broken __spec__
        return False


def required_imports(tree):
    found = []

    def visit(node, optional):
        if isinstance(node, ast.Try):
            optional = True
        if isinstance(node, ast.If) and 'globals' in ast.dump(node.test):
            optional = True
        if isinstance(node, ast.Import) and not optional:
            found.extend((alias.name, node.lineno) for alias in node.names)
        if isinstance(node, ast.ImportFrom) and not optional and node.level == 0 and node.module:
            found.append((node.module, node.lineno))
        for child in ast.iter_child_nodes(node):
            visit(child, optional)

    visit(tree, False)
    return found


ANNOTATION_MODULES = {'pl': 'polars', 'polars': 'polars', 'pa': 'pyarrow', 'pyarrow': 'pyarrow'}


def annotated_modules(tree):
    """(module, line) for each function parameter typed as a polars DataFrame or pyarrow Table (pw_args.py gives it one)."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for arg in node.args.posonlyargs + node.args.args:
            if arg.annotation is None:
                continue
            if isinstance(arg.annotation, ast.Constant):
                text = arg.annotation.value
            elif hasattr(ast, 'unparse'):  # Python 3.9+; on 3.8 only string annotations are read
                text = ast.unparse(arg.annotation)
            else:
                continue
            module = ANNOTATION_MODULES.get(str(text).split('.', 1)[0])
            if module and str(text).endswith(('DataFrame', 'Table')):
                found.append((module, node.lineno))
    return found


def main():
    project_dir, block_file = sys.argv[1], sys.argv[2]
    sys.path.extend([os.path.dirname(block_file), project_dir])  # as pw_harness.py: after the standard library
    report = {
        'version': '%d.%d.%d' % sys.version_info[:3],
        'executable': sys.executable,
        'pandas': findable('pandas'),
        'pyarrow': findable('pyarrow'),  # pyarrow.parquet too: every pyarrow build has it (finding it would import pyarrow)
        'missing': [],
        'syntax': None,
    }
    try:
        with open(block_file, encoding='utf-8') as f:
            tree = ast.parse(f.read(), block_file)
    except SyntaxError as e:
        report['syntax'] = {'message': '%s: %s' % (type(e).__name__, e.msg), 'line': e.lineno, 'column': e.offset}
        tree = None
    if tree is not None:
        seen = set()
        for name, line in required_imports(tree) + annotated_modules(tree):
            if name in seen or name == 'pipewright' or name.split('.')[0] == 'mage_ai':  # both shipped by pw_harness.py
                continue
            seen.add(name)
            if not findable(name):
                report['missing'].append({'module': name, 'line': line})
    sys.stdout.write(json.dumps(report) + '\n')


if __name__ == '__main__':
    main()
