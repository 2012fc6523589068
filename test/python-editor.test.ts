import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompletionContext, type CompletionResult } from '@codemirror/autocomplete';
import { EditorState } from '@codemirror/state';
import { highlightTree, tagHighlighter, tags } from '@lezer/highlight';
import { pythonExtension, pythonLanguage, upstreamColumnCompletion } from '../renderer/src/editor/python-language.ts';

/** The text of each highlighted token of `code`, by class. */
function tokens(code: string): Record<string, string[]> {
  const highlighter = tagHighlighter([
    { tag: tags.keyword, class: 'keyword' },
    { tag: tags.string, class: 'string' },
    { tag: tags.comment, class: 'comment' },
    { tag: tags.number, class: 'number' },
    { tag: tags.function(tags.variableName), class: 'function' },
    { tag: tags.meta, class: 'decorator' },
  ]);
  const found: Record<string, string[]> = {};
  highlightTree(pythonLanguage.parser.parse(code), highlighter, (from, to, cls) => {
    (found[cls] ??= []).push(code.slice(from, to));
  });
  return found;
}

test('the editor highlights Python with lang-python: keywords, strings across lines, comments, numbers, decorators and definitions', () => {
  const code = '@transform\ndef clean(df, **kwargs):\n    """Doc\n    more"""\n    # drop bad rows\n    return df[df.n > 10]\n';
  const found = tokens(code);
  assert.deepEqual(found.keyword, ['def', '**', 'return']);
  assert.deepEqual(found.decorator, ['@transform\n'], 'the decorator is one mark, its name included');
  assert.deepEqual(found.function, ['clean']);
  assert.deepEqual(found.comment, ['# drop bad rows']);
  assert.deepEqual(found.number, ['10']);
  assert.deepEqual(found.string?.join(''), '"""Doc\n    more"""');
});

/** The completions offered with the cursor at `|` in `code`. */
function completeAt(code: string, schema: Record<string, string[]>): CompletionResult | null {
  const pos = code.indexOf('|');
  const doc = code.replace('|', '');
  const state = EditorState.create({ doc, selection: { anchor: pos }, extensions: [pythonExtension(schema)] });
  return upstreamColumnCompletion(schema)(new CompletionContext(state, pos, false)) as CompletionResult | null;
}

test("inside df['…'] the editor completes the upstream blocks' column names, naming the block each comes from", () => {
  const schema = { trips: ['vendor_id', 'fare'], zones: ['zone_id', 'vendor_id'] };
  const inside = completeAt("def f(trips, zones):\n    return trips['ve|']\n", schema);
  assert.ok(inside);
  assert.deepEqual(
    inside.options.map((o) => [o.label, o.detail]),
    [
      ['vendor_id', 'trips, zones'],
      ['fare', 'trips'],
      ['zone_id', 'zones'],
    ],
  );
  assert.equal(inside.from, "def f(trips, zones):\n    return trips['".length, 'the typed part after the quote is what gets replaced');
  assert.ok(completeAt('df[["fare", "zo|"]]', schema), 'the second name of a column list completes too');
  assert.equal(completeAt('print("ve|")', schema), null, 'a string that is not a subscript is left alone');
  assert.equal(completeAt("df['|']", {}), null, 'no upstream columns: nothing to offer');
});
