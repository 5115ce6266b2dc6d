import type { BrokerSettings } from '../core/broker-settings.ts';
import type { CallerParamRules, NormalizedParams, TokenKind } from '../core/credential.ts';

/**
 * The deployable configuration, as JSON in the BROKER_CONFIG env var (and in local mode's config
 * file). Parsed and validated once at cold start by `parseBrokerConfig`; a bad config fails init
 * with a message naming the field.
 */
export interface BrokerConfigInput {
  readonly credentials: readonly {
    readonly id: string;
    readonly kind: TokenKind;
    readonly secretId: string;
    readonly baseUrl: string;
    readonly fixedParams?: NormalizedParams;
    readonly callerParams?: CallerParamRules;
    readonly lifetimeSeconds?: number;
  }[];
  /**
   * Deny by default: a caller may use a credential only if a rule lists both. Principals are exact
   * IAM ARNs, role ARNs with a trailing `*` on the role name, `account:<12 digits>`, or
   * `lambda-invoke` (direct invocation of the token-invoke function).
   */
  readonly callers: readonly {
    readonly principals: readonly string[];
    /** Credential ids, or `*` for all. */
    readonly credentials: readonly string[];
    /** May call the admin routes for those credentials. */
    readonly admin?: boolean;
  }[];
  /** Overrides of DEFAULT_SETTINGS, in milliseconds as every BrokerSettings name says (`leaseMs`). */
  readonly settings?: Partial<Record<SettingName, number>>;
}

export type SettingName = keyof BrokerSettings;
