/** @fileoverview The daemon protocol: schemas, routes, errors, the data directory and the client. */
export * from './schemas'
export * from './routes'
export * from './errors'
export * from './data-dir'
export * from './ui-address'
export * from './client'
export { SearchConfig, resolveSearchOptions, defaultSearchOptions } from '../../core/search/config'
export type { SearchOptions } from '../../core/search/config'
