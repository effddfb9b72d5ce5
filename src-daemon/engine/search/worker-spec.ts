/** @fileoverview Where the chain worker's code lives (for new Worker). */

/** Where the chain worker code lives: TypeScript through the tsx bootstrap in development, else JS. */
export function workerSpec(): { url: URL; entry?: string } {
  if (import.meta.url.endsWith('.ts')) {
    return {
      url: new URL('../z3/z3-worker-boot.mjs', import.meta.url),
      entry: new URL('./worker.ts', import.meta.url).href
    }
  }
  return { url: new URL('./worker.js', import.meta.url) }
}
