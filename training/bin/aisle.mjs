#!/usr/bin/env node
// The `aisle` command: runs the TypeScript CLI through tsx, as `npm start` runs the edge server.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
process.exitCode = await main(process.argv.slice(2));
