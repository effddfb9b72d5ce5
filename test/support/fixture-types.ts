/**
 * @fileoverview Program types of C fixtures whose section names carry none (iproute2's layout):
 * what `--type` says for them, as `tc` types them when it loads them.
 */

/** Fixture object name (without `.o`) → the program type its loader gives every program. */
export const FIXTURE_TYPE_HINTS: Readonly<Record<string, string>> = {
  legacy_iproute2: 'sched_cls',
  tc_iproute2: 'sched_cls'
}

/** The `--type` a fixture object `file` (`name.o`) needs, if any. */
export function fixtureTypeHint(file: string): string | undefined {
  return FIXTURE_TYPE_HINTS[file.replace(/\.o$/, '')]
}
