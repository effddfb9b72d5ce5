/**
 * @fileoverview Parses the `--input SPEC` of `summit run` / `summit kernel-check` into an
 * interpreter input.
 *
 * SPEC is a list of `name=value` items separated by `;` or `,` (a comma followed by something
 * that is not `name=` continues the previous value, so `random=1,2,3` is one item):
 *   packet=HEX  ctx=HEX  mem=HEX          bytes (hex, optional 0x, `_` and `.` ignored);
 *                                          `zeros:N` gives N zero bytes
 *   ctx.FIELD=N                            a named `__sk_buff` / `xdp_md` field
 *   r1=N                                   r1 of a scalar program (decimal or 0x hex)
 *   map:M=KEYHEX:VALUEHEX                  an initial map entry; M is the map index or name
 *   random=N,...  time=N,...               get_prandom_u32 / ktime_get_ns results
 *   call=R0[:HEX]                          the answer to the next call of a helper outside the
 *                                          model (probe_read, get_stackid, ...): its result and
 *                                          the bytes it writes; repeat for later calls
 *   stack=N                                seed of the uninitialised stack bytes
 * or `@FILE.json`: `{"packet": "HEX", "ctx": "HEX" | {"field": N}, "mem": "HEX", "r1": "N",
 * "maps": {"M": [["KEYHEX", "VALUEHEX"], ...]}, "randoms": [N], "times": [N], "stack": N,
 * "calls": [{"r0": "N", "data": "HEX", "keep": [N], "evict": ["KEYHEX"]}]}`.
 */
import { existsSync, readFileSync } from 'node:fs'
import type { HelperResponse, MapDef, MapEntryInput, RunInput } from '../core/interp/types'
import { CliError } from './errors'

/** Why a SPEC is malformed (exit code 2). */
function bad(message: string, file?: string): CliError {
  return new CliError({
    code: 'INPUT_SPEC_INVALID',
    message,
    ...(file !== undefined ? { file } : {})
  })
}

/** Decodes hex text (`0x` prefix, `_`, `.` and whitespace ignored) or `zeros:N`. */
export function parseHexBytes(text: string, what: string): Uint8Array {
  const zeros = /^zeros:(\d+)$/.exec(text.trim())
  if (zeros) return new Uint8Array(Number(zeros[1]))
  const clean = text.replace(/^0x/i, '').replace(/[\s_.]/g, '')
  if (!/^[0-9a-fA-F]*$/.test(clean)) throw bad(`${what}: '${text}' is not hex`)
  if (clean.length % 2 !== 0) throw bad(`${what}: odd number of hex digits in '${text}'`)
  const out = new Uint8Array(clean.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16)
  return out
}

/** Parses a non-negative or negative integer (decimal or 0x hex) as a bigint. */
function parseBig(text: string, what: string): bigint {
  const t = text.trim()
  if (!/^-?(0x[0-9a-fA-F]+|\d+)$/.test(t)) throw bad(`${what}: '${text}' is not an integer`)
  return t.startsWith('-') ? -BigInt(t.slice(1)) : BigInt(t)
}

function parseNumberList(text: string, what: string): number[] {
  return text
    .split(',')
    .filter((s) => s.trim() !== '')
    .map((s) => Number(BigInt.asUintN(64, parseBig(s, what))))
}

/** Splits SPEC into `name=value` items. */
function splitItems(spec: string): string[] {
  const items: string[] = []
  for (const part of spec.split(/[;\n]/)) {
    for (const piece of part.split(',')) {
      const p = piece.trim()
      if (p === '') continue
      if (/^[A-Za-z][\w.:-]*=/.test(p) || items.length === 0) items.push(p)
      else items[items.length - 1] += ',' + p
    }
  }
  return items
}

/** Finds a map by index or name. */
function mapIndex(ref: string, maps: readonly MapDef[]): number {
  if (/^\d+$/.test(ref)) {
    const i = Number(ref)
    if (i >= maps.length) throw bad(`map ${i} does not exist (the program has ${maps.length} maps)`)
    return i
  }
  const i = maps.findIndex((m) => m.name === ref)
  if (i < 0) {
    const names = maps.map((m, j) => m.name ?? String(j)).join(', ')
    throw bad(`no map named '${ref}' (maps: ${names || 'none'})`)
  }
  return i
}

/** Checks and stores one map entry. */
function addMapEntry(
  entries: MapEntryInput[][],
  maps: readonly MapDef[],
  ref: string,
  key: Uint8Array,
  value: Uint8Array
): void {
  const i = mapIndex(ref, maps)
  const def = maps[i]!
  if (key.length !== def.keySize)
    throw bad(`map ${ref}: key has ${key.length} bytes, the map's keys have ${def.keySize}`)
  if (value.length !== def.valueSize)
    throw bad(`map ${ref}: value has ${value.length} bytes, the map's values have ${def.valueSize}`)
  ;(entries[i] ??= []).push({ key, value })
}

/** Mutable form of RunInput while parsing. */
interface Draft {
  packet?: Uint8Array
  ctxBytes?: Uint8Array
  ctxFields?: Record<string, number>
  mem?: Uint8Array
  r1?: bigint
  randoms?: number[]
  times?: number[]
  stackSeed?: number
  calls?: HelperResponse[]
  maps: MapEntryInput[][]
}

function finish(d: Draft, maps: readonly MapDef[]): RunInput {
  if (d.ctxBytes !== undefined && d.ctxFields !== undefined)
    throw bad('give the context either as ctx=HEX or as ctx.FIELD=N items, not both')
  const mapList: (MapEntryInput[] | undefined)[] = maps.map((_, i) => d.maps[i])
  return {
    ...(d.packet !== undefined ? { packet: d.packet } : {}),
    ...(d.ctxBytes !== undefined ? { ctx: d.ctxBytes } : {}),
    ...(d.ctxFields !== undefined ? { ctx: d.ctxFields } : {}),
    ...(d.mem !== undefined ? { mem: d.mem } : {}),
    ...(d.r1 !== undefined ? { r1: d.r1 } : {}),
    ...(d.randoms !== undefined ? { randoms: d.randoms } : {}),
    ...(d.times !== undefined ? { times: d.times } : {}),
    ...(d.stackSeed !== undefined ? { stackSeed: d.stackSeed } : {}),
    ...(d.calls !== undefined ? { calls: d.calls } : {}),
    ...(mapList.some((m) => m !== undefined) ? { maps: mapList } : {})
  }
}

/** Applies one `name=value` item. */
function applyItem(d: Draft, item: string, maps: readonly MapDef[]): void {
  const eq = item.indexOf('=')
  if (eq < 0) throw bad(`'${item}' is not name=value`)
  const name = item.slice(0, eq).trim()
  const value = item.slice(eq + 1).trim()
  if (name === 'packet') d.packet = parseHexBytes(value, 'packet')
  else if (name === 'ctx') d.ctxBytes = parseHexBytes(value, 'ctx')
  else if (name.startsWith('ctx.'))
    (d.ctxFields ??= {})[name.slice(4)] = Number(BigInt.asUintN(32, parseBig(value, name)))
  else if (name === 'mem') d.mem = parseHexBytes(value, 'mem')
  else if (name === 'r1') d.r1 = BigInt.asUintN(64, parseBig(value, 'r1'))
  else if (name === 'random' || name === 'randoms') d.randoms = parseNumberList(value, name)
  else if (name === 'time' || name === 'times') d.times = parseNumberList(value, name)
  else if (name === 'stack') d.stackSeed = Number(parseBig(value, 'stack'))
  else if (name === 'call') {
    const [r0, data] = value.split(':')
    ;(d.calls ??= []).push({
      r0: BigInt.asUintN(64, parseBig(r0 ?? '', 'call')),
      ...(data !== undefined ? { data: parseHexBytes(data, 'call data') } : {})
    })
  } else if (name.startsWith('map:')) {
    const kv = value.split(':')
    if (kv.length !== 2) throw bad(`${name}: expected KEYHEX:VALUEHEX, got '${value}'`)
    const ref = name.slice(4)
    addMapEntry(
      d.maps,
      maps,
      ref,
      parseHexBytes(kv[0]!, `${name} key`),
      parseHexBytes(kv[1]!, `${name} value`)
    )
  } else
    throw bad(
      `unknown input item '${name}' (known: packet, ctx, ctx.FIELD, mem, r1, map:M, random, time, stack, call)`
    )
}

/** The JSON `calls` list: answers to helper calls outside the model, in call order. */
function parseCalls(v: unknown, file: string): HelperResponse[] {
  if (!Array.isArray(v)) throw bad('calls must be an array of {"r0", "data", "keep"}', file)
  return v.map((c, i) => {
    if (typeof c !== 'object' || c === null || Array.isArray(c))
      throw bad(`calls[${i}] must be an object`, file)
    const o = c as Record<string, unknown>
    const keep = o.keep
    if (keep !== undefined && (!Array.isArray(keep) || !keep.every((k) => Number.isInteger(k))))
      throw bad(`calls[${i}].keep must be an array of byte offsets`, file)
    const evict = o.evict
    if (evict !== undefined && !Array.isArray(evict))
      throw bad(`calls[${i}].evict must be an array of hex keys`, file)
    return {
      r0: BigInt.asUintN(64, parseBig(String(o.r0 ?? '0'), `calls[${i}].r0`)),
      ...(o.data !== undefined ? { data: asHexField(o.data, `calls[${i}].data`, file) } : {}),
      ...(keep !== undefined ? { keep: keep as number[] } : {}),
      ...(evict !== undefined
        ? { evict: evict.map((k, j) => asHexField(k, `calls[${i}].evict[${j}]`, file)) }
        : {})
    }
  })
}

function asHexField(v: unknown, what: string, file: string): Uint8Array {
  if (typeof v !== 'string') throw bad(`${what} must be a hex string`, file)
  return parseHexBytes(v, what)
}

/** Parses the JSON form. */
function parseJsonSpec(file: string, maps: readonly MapDef[]): RunInput {
  if (!existsSync(file)) throw bad('input file not found', file)
  let doc: unknown
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'))
  } catch (e) {
    throw bad(`not JSON: ${e instanceof Error ? e.message : String(e)}`, file)
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw bad('expected a JSON object', file)
  const o = doc as Record<string, unknown>
  const d: Draft = { maps: [] }
  for (const [k, v] of Object.entries(o)) {
    if (k === 'packet') d.packet = asHexField(v, k, file)
    else if (k === 'mem') d.mem = asHexField(v, k, file)
    else if (k === 'ctx') {
      if (typeof v === 'string') d.ctxBytes = parseHexBytes(v, 'ctx')
      else if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
        d.ctxFields = {}
        for (const [f, n] of Object.entries(v as Record<string, unknown>)) {
          if (typeof n !== 'number' || !Number.isInteger(n))
            throw bad(`ctx.${f} must be an integer`, file)
          d.ctxFields[f] = n >>> 0
        }
      } else throw bad('ctx must be a hex string or an object of fields', file)
    } else if (k === 'r1') d.r1 = BigInt.asUintN(64, parseBig(String(v), 'r1'))
    else if (k === 'randoms' || k === 'times') {
      if (!Array.isArray(v)) throw bad(`${k} must be an array of integers`, file)
      const list = v.map((x) => Number(BigInt.asUintN(64, parseBig(String(x), k))))
      if (k === 'randoms') d.randoms = list
      else d.times = list
    } else if (k === 'stack') d.stackSeed = Number(parseBig(String(v), 'stack'))
    else if (k === 'calls') d.calls = parseCalls(v, file)
    else if (k === 'maps') {
      if (typeof v !== 'object' || v === null || Array.isArray(v))
        throw bad('maps must be an object {"index or name": [["KEYHEX","VALUEHEX"], ...]}', file)
      for (const [ref, list] of Object.entries(v as Record<string, unknown>)) {
        if (!Array.isArray(list)) throw bad(`maps.${ref} must be an array of [key, value]`, file)
        for (const pair of list) {
          if (!Array.isArray(pair) || pair.length !== 2)
            throw bad(`maps.${ref}: each entry must be ["KEYHEX", "VALUEHEX"]`, file)
          addMapEntry(
            d.maps,
            maps,
            ref,
            asHexField(pair[0], `maps.${ref} key`, file),
            asHexField(pair[1], `maps.${ref} value`, file)
          )
        }
      }
    } else throw bad(`unknown field '${k}'`, file)
  }
  return finish(d, maps)
}

/** Parses an input SPEC (or `@file.json`) for a program with `maps`. */
export function parseInputSpec(spec: string, maps: readonly MapDef[]): RunInput {
  const t = spec.trim()
  if (t.startsWith('@')) return parseJsonSpec(t.slice(1), maps)
  const d: Draft = { maps: [] }
  for (const item of splitItems(t)) applyItem(d, item, maps)
  return finish(d, maps)
}
