// Development bootstrap of the Z3 worker: registers tsx, then imports the TypeScript entry.
import { workerData } from 'node:worker_threads'
import { tsImport } from 'tsx/esm/api'

await tsImport(workerData.entry, import.meta.url)
