#!/usr/bin/env node
// Entry point of the `callback-relay` command. Plain JavaScript so that it can say
// clearly when the Node.js running it is too old.
import { existsSync } from 'node:fs';

const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  console.error(`callback-relay needs Node.js 24 or later (found ${process.versions.node}). Install Node.js 24 LTS (https://nodejs.org/en/download, or the node:24 container image); in a checkout of the project, npm start and npm test use the Node.js 24 installed with its dev dependencies.`);
  process.exit(1);
}
// A checkout runs its TypeScript sources as they are; the published package ships
// them built to JavaScript (Node strips no types under node_modules).
const sources = new URL('../src/cli/main.ts', import.meta.url);
const { main } = await import(existsSync(sources) ? sources.href : new URL('../dist/cli/main.js', import.meta.url).href);
process.exitCode = await main(process.argv.slice(2));
