// The mocha globals that @web/test-runner provides to components/**/*.test.ts (no @types/mocha
// is installed; this is the part the tests use).
type MochaDone = (error?: unknown) => void;
type MochaTest = (this: unknown, done: MochaDone) => void | Promise<unknown>;

declare function describe(title: string, body: () => void): void;
declare function it(title: string, test: MochaTest): void;
declare function before(hook: MochaTest): void;
declare function after(hook: MochaTest): void;
declare function beforeEach(hook: MochaTest): void;
declare function afterEach(hook: MochaTest): void;
