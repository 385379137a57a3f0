// The SQL editor's CodeMirror 6 set-up (imported only by the SQL page, so CodeMirror stays in
// that page's lazy chunk): PostgreSQL highlighting, completion of tables and columns,
// Ctrl/Cmd+Enter to run, and a mark on the place an error points to.
import { EditorView, basicSetup } from 'codemirror';
import { Decoration, keymap, type DecorationSet } from '@codemirror/view';
import { Compartment, EditorSelection, Prec, StateEffect, StateField } from '@codemirror/state';
import { sql, PostgreSQL } from '@codemirror/lang-sql';

const markError = StateEffect.define<{ from: number; to: number } | null>();

const errorMark = Decoration.mark({ class: 'cm-sql-error', attributes: { 'aria-label': 'Error here' } });
const errorLine = Decoration.line({ class: 'cm-sql-error-line' });

const errors = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(marks, tr) {
    marks = marks.map(tr.changes);
    for (const e of tr.effects) {
      if (!e.is(markError)) continue;
      if (!e.value) return Decoration.none;
      const { from, to } = e.value;
      const line = tr.state.doc.lineAt(from);
      marks = Decoration.set([errorLine.range(line.from), errorMark.range(from, to)], true);
    }
    return tr.docChanged ? Decoration.none : marks;
  },
  provide: (f) => EditorView.decorations.from(f),
});

const theme = EditorView.theme({
  '&': { backgroundColor: 'var(--panel)', color: 'var(--text)', fontSize: '13px', height: '100%' },
  '.cm-content': { caretColor: 'var(--text)', fontFamily: "ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace" },
  '.cm-gutters': { backgroundColor: 'var(--code)', color: 'var(--muted)', borderRight: '1px solid var(--line)' },
  '.cm-activeLine, .cm-activeLineGutter': { backgroundColor: 'color-mix(in srgb, var(--sel) 45%, transparent)' },
  '&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection': { backgroundColor: 'color-mix(in srgb, var(--focus) 30%, transparent) !important' },
  '.cm-sql-error': { textDecoration: 'underline wavy var(--danger)', backgroundColor: 'color-mix(in srgb, var(--danger) 18%, transparent)' },
  '.cm-sql-error-line': { backgroundColor: 'color-mix(in srgb, var(--danger) 8%, transparent)' },
  '.cm-tooltip': { backgroundColor: 'var(--panel)', color: 'var(--text)', border: '1px solid var(--line)' },
  '.cm-tooltip-autocomplete ul li[aria-selected]': { backgroundColor: 'var(--sel)', color: 'var(--text)' },
});

/** Tables and their columns, for completion: `{ "todos": ["id", "title"] }`. */
export type Schema = Record<string, string[]>;

export interface Editor {
  text(): string;
  /** The selection if there is one, else the whole text; `base` is where it starts. */
  runnable(): { text: string; base: number };
  setText(text: string): void;
  setSchema(schema: Schema): void;
  /** Marks `from..to` (offsets in the whole text) as where the error is, and shows it. */
  showError(from: number, to: number): void;
  clearError(): void;
  focus(): void;
  destroy(): void;
}

export function createEditor(parent: HTMLElement, doc: string, on: { run: () => void; change: (text: string) => void }): Editor {
  const language = new Compartment();
  const lang = (schema: Schema = {}) => sql({ dialect: PostgreSQL, schema, defaultSchema: 'public' });
  const view = new EditorView({
    parent,
    doc,
    extensions: [
      Prec.highest(keymap.of([{ key: 'Mod-Enter', run: () => (on.run(), true), preventDefault: true }])),
      basicSetup,
      language.of(lang()),
      errors,
      theme,
      EditorView.lineWrapping,
      EditorView.contentAttributes.of({ 'aria-label': 'SQL query' }),
      EditorView.updateListener.of((u) => {
        if (u.docChanged) on.change(u.state.doc.toString());
      }),
    ],
  });
  return {
    text: () => view.state.doc.toString(),
    runnable() {
      const sel = view.state.selection.main;
      if (!sel.empty) return { text: view.state.sliceDoc(sel.from, sel.to), base: sel.from };
      return { text: view.state.doc.toString(), base: 0 };
    },
    setText(text) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text }, selection: EditorSelection.cursor(0) });
    },
    setSchema(schema) {
      view.dispatch({ effects: language.reconfigure(lang(schema)) });
    },
    showError(from, to) {
      const len = view.state.doc.length;
      if (len === 0) return;
      from = Math.max(0, Math.min(from, len - 1));
      to = Math.max(from + 1, Math.min(to, len));
      view.dispatch({ effects: [markError.of({ from, to }), EditorView.scrollIntoView(from, { y: 'center' })] });
    },
    clearError() {
      view.dispatch({ effects: markError.of(null) });
    },
    focus: () => view.focus(),
    destroy: () => view.destroy(),
  };
}
