/** @fileoverview Keyboard shortcuts: what each key does, for the handler and the help dialog. */
import { VIEWS, type ViewName } from '../stores/workbench'

/** What a shortcut does. */
export type ShortcutAction =
  | { readonly kind: 'view'; readonly view: ViewName }
  | { readonly kind: 'open' }
  | { readonly kind: 'theme' }
  | { readonly kind: 'help' }

/** The shortcuts as the help dialog lists them. */
export const SHORTCUT_HELP: readonly { readonly keys: string; readonly what: string }[] = [
  { keys: 'Alt+1 … Alt+7', what: 'Import, Program, New search, Live progress, Diff, Export, Jobs' },
  { keys: 'Ctrl+O', what: 'Open a program file' },
  { keys: 'Ctrl+E', what: 'Export the best program' },
  { keys: 'Ctrl+Enter', what: 'Start the search (New search)' },
  { keys: 'N / P', what: 'Next / previous change (Diff)' },
  { keys: 'Ctrl+Shift+L', what: 'Switch between light and dark themes' },
  { keys: '?', what: 'This list' }
]

/** Key state a shortcut depends on. */
export interface KeyLike {
  readonly key: string
  readonly code?: string
  readonly altKey: boolean
  readonly ctrlKey: boolean
  readonly metaKey: boolean
  readonly shiftKey: boolean
}

/** The global action of a key press, if any (`typing`: focus is in a text field). */
export function shortcutFor(e: KeyLike, typing: boolean): ShortcutAction | undefined {
  const mod = e.ctrlKey || e.metaKey
  if (e.altKey && !mod) {
    const digit = /^Digit([1-7])$/.exec(e.code ?? '')?.[1] ?? /^[1-7]$/.exec(e.key)?.[0]
    if (digit !== undefined) return { kind: 'view', view: VIEWS[Number(digit) - 1]! }
  }
  if (mod && !e.altKey) {
    const k = e.key.toLowerCase()
    if (k === 'o' && !e.shiftKey) return { kind: 'open' }
    if (k === 'e' && !e.shiftKey) return { kind: 'view', view: 'export' }
    if (k === 'l' && e.shiftKey) return { kind: 'theme' }
  }
  if (!typing && !mod && !e.altKey && e.key === '?') return { kind: 'help' }
  return undefined
}
