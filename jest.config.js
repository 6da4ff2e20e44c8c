/** Jest runs the TypeScript sources as native ES modules through SWC; `tsc --noEmit` type-checks them. */
const swc = [
  '@swc/jest',
  {
    jsc: {
      target: 'es2023',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
    },
    module: { type: 'es6' },
  },
];

const common = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: {
    '^@app/(protocol|env|standin|contract|client)$': '<rootDir>/libs/$1/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
};

export default {
  testTimeout: 60000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs,drill}/**/*.spec.ts', '<rootDir>/test/docs/*.spec.ts'] },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      // e2e tests run the built apps: refuse a build older than the sources.
      globalSetup: '<rootDir>/test/support/fresh-build.ts',
    },
    // `npm run test:image` only: builds the Dockerfile with podman (root, a few minutes).
    { ...common, displayName: 'image', testMatch: ['<rootDir>/test/image/**/*.image-spec.ts'] },
  ],
};
