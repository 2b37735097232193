/**
 * The house's rules, checked in `npm test` (npm run boundaries). Folders under
 * src/ are rooms; these say which room may use which. docs/design.md
 * draws the same picture.
 */
const DOMAIN = '(registration|callback|delivery|deadline|replay|retention|tunnel|destination|providers|wechat-api)';
const EDGE = '(http|app|cli|demo|simulator|dashboard|sdk)';

module.exports = {
  forbidden: [
    {
      name: 'model-is-pure',
      comment: 'src/model is the vocabulary: it imports nothing of the relay and no package.',
      severity: 'error',
      from: { path: '^src/model/' },
      to: { pathNot: '^src/model/' },
    },
    {
      name: 'storage-serves-not-knows',
      comment: 'Storage speaks the model\'s words; it imports no domain folder, no HTTP, no wiring.',
      severity: 'error',
      from: { path: '^src/storage/' },
      to: { path: `^src/(${DOMAIN.slice(1, -1)}|${EDGE.slice(1, -1)}|redis|admin|metrics)/` },
    },
    {
      name: 'domain-knows-no-http',
      comment: 'Domain folders export plain functions and classes: Fastify and the HTTP edge stay in src/http.',
      severity: 'error',
      from: { path: `^src/${DOMAIN}/` },
      to: { path: ['^src/(http|app|cli|demo|dashboard)/', 'node_modules/(fastify|@fastify)/'] },
    },
    {
      name: 'wechat-provider-is-pure',
      comment: 'providers/wechat turns (app, query, raw body) into a verified push or a typed error: no HTTP client or server, no storage.',
      severity: 'error',
      from: { path: '^src/providers/' },
      to: { path: ['^src/(storage|callback|delivery|registration|deadline|replay|redis|tunnel)/', 'node_modules/(undici|ioredis|kysely|pg|mysql2)/'] },
    },
    {
      name: 'foundations-stand-low',
      comment: 'Time, metrics, errors and redaction serve every room and import none of them but each other and the model.',
      severity: 'error',
      from: { path: '^src/(time|metrics|errors|redaction)/' },
      to: { path: '^src/', pathNot: '^src/(time|metrics|errors|redaction|model)/' },
    },
    {
      name: 'config-is-read-by-all',
      comment: 'The validated config object stands below every room that reads it: it checks values itself and imports no domain, provider or edge.',
      severity: 'error',
      from: { path: '^src/config/' },
      to: { path: `^src/(${DOMAIN.slice(1, -1).replace('|destination', '')}|${EDGE.slice(1, -1)}|storage|redis)/` },
    },
    {
      name: 'delivery-knows-senders-by-interface',
      comment: 'The delivery worker sends through the Sender interface; the dev tunnel is one sender and stands above it.',
      severity: 'error',
      from: { path: '^src/delivery/' },
      to: { path: '^src/tunnel/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'sdk-stands-alone',
      comment: 'The receiver SDK is published on its own: it imports nothing of the relay.',
      severity: 'error',
      from: { path: '^src/sdk/' },
      to: { path: '^src/', pathNot: '^src/sdk/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
