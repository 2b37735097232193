#!/usr/bin/env node
// Entry point of the `callback-relay` command. Plain JavaScript so that it can say
// clearly when the Node.js running it is too old to load the TypeScript sources.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(`callback-relay needs Node.js 24 (found ${process.versions.node}). Run it through npm (npm start), which uses the Node.js 24 installed with the project.`);
  process.exit(1);
}
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
