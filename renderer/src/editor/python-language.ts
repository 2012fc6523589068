import type { Completion, CompletionContext, CompletionResult, CompletionSource } from '@codemirror/autocomplete';
import { globalCompletion, localCompletionSource, pythonLanguage as lezerPython } from '@codemirror/lang-python';
import type { SQLNamespace } from '@codemirror/lang-sql';
import { LanguageSupport } from '@codemirror/language';
import type { Extension } from '@codemirror/state';
import { styleTags, tags } from '@lezer/highlight';

/** lang-python's language with the whole decorator styled as one mark: `@transform`, not `@` and a plain name. */
export const pythonLanguage = lezerPython.configure({ props: [styleTags({ Decorator: tags.meta, 'Decorator/VariableName': tags.meta })] });

/**
 * Python for block files: @codemirror/lang-python (Lezer parser: highlighting, indentation, folding, completion of
 * local names) plus the upstream blocks' column names inside a subscript string, `df['…`, where a column name is what
 * goes. `schema` is the SQL editor's: upstream block id → its columns.
 */
export function pythonExtension(schema: SQLNamespace): Extension {
  return new LanguageSupport(pythonLanguage, [
    pythonLanguage.data.of({ autocomplete: localCompletionSource }),
    pythonLanguage.data.of({ autocomplete: globalCompletion }),
    pythonLanguage.data.of({ autocomplete: upstreamColumnCompletion(schema) }),
  ]);
}

/** Opening a string right after `[` (the cursor in `df['pick` or `df[["a", "pi`): the column names of every upstream. */
export function upstreamColumnCompletion(schema: SQLNamespace): CompletionSource {
  const options = columnOptions(schema);
  return (context: CompletionContext): CompletionResult | null => {
    const typed = context.matchBefore(/[[,]\s*(['"])[^'"\n]*$/);
    if (!typed || options.length === 0) return null;
    const quote = typed.text.search(/['"]/);
    return { from: typed.from + quote + 1, options, validFor: /^[^'"\n]*$/ };
  };
}

function columnOptions(schema: SQLNamespace): Completion[] {
  const byName = new Map<string, string[]>();
  for (const [block, columns] of Object.entries(schema)) {
    if (!Array.isArray(columns)) continue;
    for (const column of columns as readonly (string | Completion)[]) {
      const name = typeof column === 'string' ? column : column.label;
      byName.set(name, [...(byName.get(name) ?? []), block]);
    }
  }
  return [...byName].map(([label, blocks]) => ({ label, type: 'property', detail: blocks.join(', ') }));
}
