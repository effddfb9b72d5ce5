// Development bootstrap of the corpus worker: registers tsx for the whole thread (so modules keep
// plain file URLs and the search engine finds its own TypeScript workers), then loads the entry.
import { workerData } from 'node:worker_threads'
import { register } from 'tsx/esm/api'

register()
await import(workerData.entry)
