import type * as v from 'valibot';
import type { BrokerSettings } from '../core/broker-settings.ts';
import type { brokerConfigSchema } from './broker-config-schema.ts';

/**
 * The deployable configuration, as JSON in the BROKER_CONFIG env var (and in local mode's config
 * file): the input type of the one schema in broker-config-schema.ts (reference:
 * docs/configuration.md, JSON Schema: docs/config.schema.json). Parsed and validated once at cold
 * start by `parseBrokerConfig`; a bad config fails init with a message naming the field.
 */
export type BrokerConfigInput = v.InferInput<typeof brokerConfigSchema>;

export type SettingName = keyof BrokerSettings;
