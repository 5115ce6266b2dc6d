import { runCli } from './run-cli.ts';

// `npm run token -- <credential>`: the environment is read here, once, and nowhere else.
process.exitCode = await runCli(process.argv.slice(2), {
  env: process.env,
  cwd: process.cwd(),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
});
