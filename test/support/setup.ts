/** @fileoverview Per-file test setup: frees the kernel feature probe's helper process after each file. */
import { afterAll } from 'vitest'
import { disposeKernelProbe } from './environment'

afterAll(() => disposeKernelProbe())
