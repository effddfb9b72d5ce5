/** @fileoverview Errors the CLI reports as one line with exit code 2 (the engine's InputError). */
export { InputError as CliError } from '../engine/program/input-error'
