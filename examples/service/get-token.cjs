// A service (CommonJS, as many still are) getting a token from the broker. It runs under the
// service's own AWS identity (the default credential chain: environment, SSO, a role, IMDS...),
// which the broker's caller policy and the construct's grantTokenAccess must name.
//
//   BROKER_ENDPOINT=https://<api-id>.execute-api.<region>.amazonaws.com/prod node get-token.cjs dap
const { BrokerClientError, makeBrokerClient } = require('@canvas-credential-broker/client');

const main = async () => {
  const endpoint = process.env.BROKER_ENDPOINT;
  if (!endpoint) throw new Error('set BROKER_ENDPOINT to the broker API URL (with its stage)');
  // The region comes from an execute-api host; set AWS_REGION for a custom domain.
  const client = makeBrokerClient({ endpoint, region: process.env.AWS_REGION || undefined });
  const token = await client.getToken(process.argv[2] ?? 'dap', { minTtlSeconds: 300 });
  // Use token.token as the Bearer value of your Instructure calls; never log it. Its fingerprint is
  // what the broker's audit lines show.
  console.log(`got a ${token.kind} token ${token.fingerprint}, ${token.expiresIn} s left`);
};

main().catch((error) => {
  console.error(error instanceof BrokerClientError ? `${error.code}: ${error.message}` : error.message);
  process.exitCode = 1;
});
