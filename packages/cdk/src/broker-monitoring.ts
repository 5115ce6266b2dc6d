import { Duration } from 'aws-cdk-lib';
import type { RestApi } from 'aws-cdk-lib/aws-apigateway';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';

export interface BrokerMonitoringProps {
  readonly api: RestApi;
  /** The broker's functions by name (token-api, token-invoke, prewarm, ...). */
  readonly functions: Readonly<Record<string, IFunction>>;
  readonly metricsNamespace: string;
  readonly alarmTopic?: ITopic;
  /** With Canvas token rotation: alarms on the rotated token's granted life and on leftovers. */
  readonly canvasTokenRotation?: { readonly rotateEvery: Duration };
  /** The configured credentials: each gets its own unhealthy alarm. */
  readonly credentialIds?: readonly string[];
}

/** Days of slack a rotated Canvas token must have beyond the next scheduled rotation. */
const ROTATION_EXPIRY_MARGIN_DAYS = 3;

/**
 * `CredentialUnhealthy` is written at each recorded failure (1 once unhealthy) and at recovery (0);
 * between attempts the backoff (up to 5 min, longer with a Retry-After) leaves minutes without a
 * data point, so one long period's maximum is the state, not a string of one-minute periods.
 */
const UNHEALTHY_PERIOD = Duration.minutes(15);

const PERIOD = Duration.minutes(1);

/**
 * Alarms and a dashboard. The broker's own metrics are emitted through Powertools (EMF) with
 * dimensions the runtime chooses (service, and e.g. tier or credential); alarms use a Metrics
 * Insights query and graphs a SEARCH over the namespace, so both see every dimension combination
 * instead of silently matching none.
 */
export class BrokerMonitoring extends Construct {
  readonly alarms: Alarm[] = [];
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: BrokerMonitoringProps) {
    super(scope, id);
    const ns = props.metricsNamespace;

    const search = (metric: string, stat: string, label: string): IMetric =>
      new MathExpression({
        expression: `SEARCH('Namespace="${ns}" MetricName="${metric}"', '${stat}', ${PERIOD.toSeconds()})`,
        label,
        period: PERIOD,
      });
    const total = (metric: string): IMetric =>
      new MathExpression({
        expression: `SELECT SUM(${metric}) FROM "${ns}"`,
        label: metric,
        period: PERIOD,
      });

    const alarm = (
      alarmId: string,
      metric: IMetric,
      description: string,
      threshold: number,
      datapoints: { toAlarm: number; of: number },
    ): void => {
      const a = new Alarm(this, alarmId, {
        metric,
        alarmDescription: description,
        threshold,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: datapoints.of,
        datapointsToAlarm: datapoints.toAlarm,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      if (props.alarmTopic) {
        a.addAlarmAction(new SnsAction(props.alarmTopic));
        a.addOkAction(new SnsAction(props.alarmTopic));
      }
      this.alarms.push(a);
    };

    // A single failed refresh is absorbed by serving the still-valid token; failures in 3 of 5
    // minutes mean upstream or the secret is broken and tokens will run out.
    alarm(
      'RefreshFailures',
      total('RefreshFailure'),
      'Token refreshes are failing (upstream down, rate-limited, or the credential was rejected). Callers get 503 once cached tokens expire.',
      1,
      { toAlarm: 3, of: 5 },
    );
    alarm(
      'Api5xx',
      props.api.metricServerError({ period: PERIOD, statistic: 'Sum' }),
      'The broker API answers 5XX: no valid token could be served (503) or a function failed.',
      1,
      { toAlarm: 3, of: 5 },
    );
    for (const credentialId of props.credentialIds ?? []) {
      // Credential ids match ^[a-z0-9][a-z0-9-]{0,62}$, so they are safe inside the quoted literal.
      alarm(
        `CredentialUnhealthy-${credentialId}`,
        new MathExpression({
          expression: `SELECT MAX(CredentialUnhealthy) FROM "${ns}" WHERE credentialId = '${credentialId}'`,
          label: `CredentialUnhealthy ${credentialId}`,
          period: UNHEALTHY_PERIOD,
        }),
        `Credential ${credentialId}: upstream has failed the same way for longer than unhealthyAfterMs (default 15 min); see GET /v1/credentials/${credentialId} for the error code. Misconfiguration (e.g. InstAccess keys missing) rather than an outage is likely.`,
        1,
        { toAlarm: 1, of: 1 },
      );
    }
    for (const [name, fn] of Object.entries(props.functions)) {
      const idPart = name.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());
      alarm(
        `${idPart}Errors`,
        fn.metricErrors({ period: PERIOD, statistic: 'Sum' }),
        `The ${name} function is failing (errors or timeouts).`,
        1,
        { toAlarm: 3, of: 5 },
      );
      alarm(
        `${idPart}Throttles`,
        fn.metricThrottles({ period: PERIOD, statistic: 'Sum' }),
        `The ${name} function is throttled (account or reserved concurrency exhausted).`,
        1,
        { toAlarm: 2, of: 5 },
      );
    }

    if (props.canvasTokenRotation) {
      const lowest = (metric: string): IMetric =>
        new MathExpression({
          expression: `SELECT MIN(${metric}) FROM "${ns}"`,
          label: metric,
          period: Duration.hours(1),
        });
      // Emitted by the rotation function with each new token: the life Canvas granted it (a site
      // token policy may clamp expires_at). Below the schedule plus a margin, the token runs out
      // before the next rotation replaces it: rotate by hand or shorten the schedule.
      const mustLast =
        props.canvasTokenRotation.rotateEvery.toSeconds() + ROTATION_EXPIRY_MARGIN_DAYS * 86_400;
      const lowLife = new Alarm(this, 'CanvasTokenLifeLow', {
        metric: lowest('CanvasTokenRemainingLife'),
        alarmDescription: `A rotated Canvas token expires less than ${ROTATION_EXPIRY_MARGIN_DAYS} days after the next scheduled rotation (Canvas clamped its expires_at): every Canvas credential stops when it expires.`,
        threshold: mustLast,
        comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      if (props.alarmTopic) lowLife.addAlarmAction(new SnsAction(props.alarmTopic));
      this.alarms.push(lowLife);
      alarm(
        'CanvasTokenLeftBehind',
        new MathExpression({
          expression: `SELECT SUM(CanvasTokenLeftBehind) FROM "${ns}"`,
          label: 'CanvasTokenLeftBehind',
          period: Duration.hours(1),
        }),
        'Rotation left a Canvas token it cannot delete: a pending token (not deletable through the API; rotation stops until a person deletes or activates it) or an old token it cannot identify uniquely.',
        1,
        { toAlarm: 1, of: 1 },
      );
    }

    const graph = (title: string, left: IMetric[], width = 8): GraphWidget =>
      new GraphWidget({ title, left, width, height: 6 });
    const api = props.api;
    this.dashboard = new Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(6),
      widgets: [
        [
          new TextWidget({
            markdown: `## canvas-credential-broker\nNamespace \`${ns}\`. Tokens are counted and aged here, never logged.`,
            width: 24,
            height: 2,
          }),
        ],
        [
          graph('Mints (upstream calls that issued a token)', [search('Mint', 'Sum', 'Mint')]),
          graph('Tier hits by tier', [search('TierHit', 'Sum', '')]),
          graph('Token age at serve', [
            search('TokenAgeAtServe', 'Average', 'avg'),
            search('TokenAgeAtServe', 'Maximum', 'max'),
          ]),
        ],
        [
          graph('Refresh failures', [search('RefreshFailure', 'Sum', 'RefreshFailure')]),
          graph('Unavailable (503 with Retry-After)', [search('Unavailable', 'Sum', 'Unavailable')]),
          graph('Unhealthy credentials (1 = failing the same way past the window)', [
            search('CredentialUnhealthy', 'Maximum', ''),
          ]),
          graph('API 4XX / 5XX', [
            api.metricClientError({ period: PERIOD, statistic: 'Sum', label: '4XX' }),
            api.metricServerError({ period: PERIOD, statistic: 'Sum', label: '5XX' }),
          ]),
        ],
        [
          graph(
            'API latency',
            [
              api.metricLatency({ period: PERIOD, statistic: 'p50', label: 'p50' }),
              api.metricLatency({ period: PERIOD, statistic: 'p99', label: 'p99' }),
              api.metricIntegrationLatency({ period: PERIOD, statistic: 'p99', label: 'integration p99' }),
            ],
            12,
          ),
          graph(
            'Function errors and throttles',
            Object.entries(props.functions).flatMap(([name, fn]) => [
              fn.metricErrors({ period: PERIOD, statistic: 'Sum', label: `${name} errors` }),
              fn.metricThrottles({ period: PERIOD, statistic: 'Sum', label: `${name} throttles` }),
            ]),
            12,
          ),
        ],
      ],
    });
  }
}
