import type { Clock } from '../../core/clock.ts';
import type { DateSample } from '../../core/clock-offset.ts';

/** The part of an AWS SDK v3 client this needs (DynamoDB, KMS, Secrets Manager all qualify). */
interface WithMiddlewareStack {
  readonly middlewareStack: {
    add(
      // biome-ignore lint/suspicious/noExplicitAny: smithy's handler types differ per client; this middleware only reads the response.
      middleware: (next: (args: any) => Promise<any>) => (args: any) => Promise<any>,
      options: { step: 'deserialize'; name: string; priority: 'low' },
    ): void;
  };
}

const headerDate = (response: unknown): number | undefined => {
  const headers = (response as { headers?: Record<string, string | undefined> } | undefined)?.headers;
  const value = headers?.date ?? headers?.Date;
  if (typeof value !== 'string') return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : at;
};

/**
 * Reports the `Date` of every AWS response to `observe`, timed on the instance's own clock. The SDK
 * does the same for its own signing (`awsAuthMiddleware` in @aws-sdk/middleware-signing reads
 * `response.headers.date`, and `$response` of an error, to update `systemClockOffset`), but keeps
 * only a point estimate that moves when skew passes 5 min; the broker needs the bound around it.
 *
 * Added at the end of the deserialize step, the innermost place that sees the raw HTTP response of
 * each attempt (after signing and retries are decided), so the round trip measured is the wire's.
 */
export const observeServerDate = (
  client: WithMiddlewareStack,
  clock: Clock,
  observe: (sample: DateSample) => void,
): void => {
  client.middlewareStack.add(
    (next) => async (args) => {
      const sentAt = clock.now();
      const report = (response: unknown) => {
        const serverDate = headerDate(response);
        if (serverDate !== undefined) observe({ sentAt, receivedAt: clock.now(), serverDate });
      };
      try {
        const output = await next(args);
        report(output?.response);
        return output;
      } catch (error) {
        report((error as { $response?: unknown } | null)?.$response);
        throw error;
      }
    },
    { step: 'deserialize', name: 'brokerServerDateObserver', priority: 'low' },
  );
};
