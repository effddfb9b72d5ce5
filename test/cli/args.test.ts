import { describe, expect, it } from 'vitest'
import { parseArgs, flagInt, UsageError } from '../../src-daemon/cli/args'

describe('parseArgs', () => {
  const spec = { valued: ['section', 'syntax', 'out', 'time'], aliases: { o: 'out' } }
  it('separates positionals, valued and boolean flags', () => {
    const a = parseArgs(['x.o', '--section', 'xdp', '--json', '-o', 'y.o', '--syntax=k2'], spec)
    expect(a.positionals).toEqual(['x.o'])
    expect(a.flags.get('section')).toBe('xdp')
    expect(a.flags.get('json')).toBe(true)
    expect(a.flags.get('out')).toBe('y.o')
    expect(a.flags.get('syntax')).toBe('k2')
  })
  it('rejects a valued flag without a value and malformed integers', () => {
    expect(() => parseArgs(['--section'], spec)).toThrow(UsageError)
    expect(() => flagInt(parseArgs(['--time', '1x'], spec), 'time', 5)).toThrow(/integer/)
    expect(flagInt(parseArgs([], spec), 'time', 5)).toBe(5)
  })
})
