#!/usr/bin/env node
// Node 24 runs the TypeScript sources directly; this shim keeps `npx tributary` working from a checkout.
import { main, quietKnownWarnings } from '../src/cli/main.ts'

quietKnownWarnings()
main(process.argv.slice(2)).then((code) => process.exit(code))
