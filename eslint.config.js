import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

const root = import.meta.dirname;

/**
 * The rooms of src/ and the floor each stands on (README, Architecture). A room may import
 * the rooms of every floor below its own, and of its own floor only those named in `beside`
 * (kept acyclic by hand, so no two rooms ever import each other).
 */
const floors = [
  { floor: 'core', rooms: { core: [] } },
  {
    floor: 'foundations',
    rooms: { crypto: [], git: [], store: [], audit: ['store'], providers: [], sinks: ['crypto'], emulator: [] },
  },
  {
    floor: 'access and services',
    rooms: {
      vault: [],
      scan: [],
      alerts: [],
      discovery: [],
      admin: ['team'],
      team: [],
      rotation: ['vault'],
      policy: ['scan', 'vault', 'alerts'],
      access: ['rotation', 'vault'],
      byok: ['alerts', 'access'],
    },
  },
  {
    floor: 'faces',
    rooms: { server: [], proxy: [], demo: [], cli: ['server', 'proxy'] },
  },
];

/** The names of the floors below `floor`. */
function floorNames(floor) {
  const index = floors.findIndex((entry) => entry.floor === floor);
  return floors.slice(0, index).map((entry) => entry.floor).join(', ');
}

/** One no-restricted-paths zone per room: everything under src/ except what the room may import. */
function layerZones() {
  const zones = [];
  const below = [];
  for (const { floor, rooms } of floors) {
    for (const [room, beside] of Object.entries(rooms)) {
      const allowed = [room, ...below, ...beside];
      zones.push({
        target: `src/${room}`,
        from: 'src',
        except: allowed.map((name) => `./${name}`),
        message: `src/${room}/ stands on the ${floor} floor: it may import the floors below it (${below.length ? floorNames(floor) : 'none'}) and beside it ${beside.length ? beside.map((name) => `${name}/`).join(', ') : 'nothing'} (README, Architecture).`,
      });
    }
    below.push(...Object.keys(rooms));
  }
  // The SDK ships to applications on its own: it stands on core only.
  zones.push({ target: 'src/sdk', from: 'src', except: ['./sdk', './core'], message: 'src/sdk/ may import only core/ (it ships to applications without the server, CLI or drivers).' });
  return zones;
}

/** The store's implementations are private to it: everyone else goes through store.ts and open-store.ts. */
const storeInternals = {
  target: ['src/!(store)/**', 'src/*.ts', 'test/**', 'bench/**', 'scripts/**'],
  from: ['src/store/sql/**', 'src/store/sqlite/**', 'src/store/postgres/**'],
  message: 'Outside src/store/ use the Store contract (store/store.ts) and openStore (store/open-store.ts), not its SQL internals.',
};

/** The database drivers are the store's alone (static, type-only and dynamic imports alike). */
const databaseDrivers = {
  target: ['src/!(store)/**', 'src/*.ts'],
  from: ['node_modules/{pg,pg-*,better-sqlite3}/**', 'node_modules/@types/{pg,better-sqlite3}/**'],
  message: 'Only src/store/ talks to the database drivers (pg, better-sqlite3).',
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '**/*.js', '!eslint.config.js'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // The layers of the house (README, Architecture): one-way imports between rooms, store
    // internals private to the store, no import cycles between files.
    files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      // The files the import rules read and follow (no-cycle walks the imported files too).
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: `${root}/tsconfig.json` })],
    },
    rules: {
      'import-x/no-restricted-paths': ['error', { basePath: root, zones: [...layerZones(), storeInternals, databaseDrivers] }],
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    // The domain core has no I/O and no environment access (DESIGN.md §7).
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['node:fs*', 'node:child_process', 'node:net', 'node:http*', 'pg', 'better-sqlite3'] }],
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'core has no environment access' }],
    },
  },
  {
    // The web dashboard (ui/) runs in the browser and talks to rekey serve over HTTP only:
    // nothing from src/ (server code, the store, keys), no Node built-ins.
    files: ['ui/**/*.ts', 'ui/**/*.tsx'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/src/**', '../../src/*', 'node:*', 'hono', '@hono/*', 'pg', 'better-sqlite3'], message: 'ui/ talks to rekey serve over HTTP only: it imports nothing from src/ and no Node or server module.' }] },
      ],
    },
  },
  {
    // The SDK entry imports no server, CLI, database driver or cloud SDK.
    files: ['src/sdk/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['pg', 'better-sqlite3', '@aws-sdk/*', '@kubernetes/*', 'hono', '@hono/*', 'commander', '../cli/*', '../server/*', '../store/*', '../proxy/*'] }],
    },
  },
);
