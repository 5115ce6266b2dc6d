/**
 * The environment for a child process a test starts (local mode, the CLI, the simulator): only
 * what Node needs to run (PATH, HOME, TMPDIR and their Windows kin) plus what the test names.
 * Nothing else of the caller's environment reaches the child: a developer's BROKER_HOME,
 * BROKER_PORT, BROKER_ENDPOINT, AWS_* or DYNAMODB_ENDPOINT would otherwise point the child at
 * whatever broker, simulator or account runs on the machine.
 */
const PASSED = ['PATH', 'HOME', 'TMPDIR', 'TMP', 'TEMP', 'SystemRoot', 'USERPROFILE', 'APPDATA'];

export const childEnv = (extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {};
  for (const name of PASSED) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return { ...env, ...extra };
};
