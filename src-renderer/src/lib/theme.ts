/** @fileoverview Light and dark themes: the saved choice, else the system's, on `<html data-theme>`. */

/** A theme. */
export type Theme = 'light' | 'dark'

const KEY = 'summit.theme'

/** The saved theme, else the system preference. */
export function initialTheme(): Theme {
  const saved = globalThis.localStorage?.getItem(KEY)
  if (saved === 'light' || saved === 'dark') return saved
  return globalThis.matchMedia?.('(prefers-color-scheme: dark)').matches === true ? 'dark' : 'light'
}

/** Shows and saves `t`. */
export function applyTheme(t: Theme): void {
  document.documentElement.dataset['theme'] = t
  globalThis.localStorage?.setItem(KEY, t)
}
