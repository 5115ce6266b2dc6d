import { randomUUID } from 'node:crypto';
import { type FaultSpec, type RunningSimulator, startSimulator } from '../../../dev/simulator/index.ts';
import { makeHttpRotationCanvas } from '../../../shared/adapters/http/http-rotation-canvas.ts';
import type { RotationCanvas, RotationCanvasSession } from '../../../shared/core/rotation-canvas.ts';
import type { RotationSecretStore } from '../../../shared/core/rotation-secret-store.ts';
import { STAGE } from '../../../shared/core/rotation-secret-store.ts';
import type {
  RotateCanvasToken,
  RotateCanvasTokenDeps,
} from '../../../shared/rotation/make-rotate-canvas-token.ts';
import { makeRotateCanvasToken } from '../../../shared/rotation/make-rotate-canvas-token.ts';
import type { RotationStep } from '../../../shared/rotation/rotation-event.ts';
import {
  type CapturingLogger,
  type CapturingMetrics,
  makeCapturingLogger,
  makeCapturingMetrics,
  registerCanary,
} from '../../support/canary.ts';
import { type FakeClock, makeFakeClock } from '../../support/fake-clock.ts';
import { type MemorySecretsManager, makeMemorySecretsManager } from './memory-secrets-manager.ts';

export const USER_AGENT = 'canvas-credential-broker-tests/1.0';
export const STEPS: readonly RotationStep[] = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];
export const BROKER_PURPOSE = 'canvas-credential-broker rotation ';
/** The simulator's clock starts here too, so token expiry dates mean the same on both sides. */
const START = Date.UTC(2030, 0, 15, 12, 0, 0);

/** Switches a test flips to make the next matching call fail like a crashed Lambda (once each). */
export interface CrashSwitches {
  /** Canvas created the token, the process died before storing it. */
  afterCanvasCreate: boolean;
  /** The pending value was stored, the process died before the step returned. */
  afterPut: boolean;
  /** AWSCURRENT was moved, the process died before the old token was deleted. */
  afterPromote: boolean;
  /** Runs just before the next createToken call (to aim a simulator fault at it). */
  beforeCreate: (() => void) | undefined;
}

export interface RotationRig {
  readonly sim: RunningSimulator;
  readonly clock: FakeClock;
  readonly sm: MemorySecretsManager;
  readonly arn: string;
  /** The version AWSCURRENT held before any rotation. */
  readonly initialVersionId: string;
  readonly seedToken: string;
  readonly crash: CrashSwitches;
  readonly logger: CapturingLogger;
  readonly metrics: CapturingMetrics;
  readonly rotation: RotateCanvasToken;
  /** The Canvas port the rotation uses, without crash switches: for assertions. */
  readonly canvas: RotationCanvas;
  /** What RotateSecret does before the first step: an empty version labelled AWSPENDING. */
  begin(token: string): void;
  step(step: RotationStep, token: string): Promise<void>;
  /** All four steps in order, stopping at the first failure (which is rethrown). */
  rotateAll(token: string, options?: { until?: RotationStep }): Promise<void>;
  currentValue(): Promise<{ versionId: string; accessToken: string; tokenId: string }>;
  /** `GET /api/v1/users/self` status with a token. */
  whoamiStatus(accessToken: string): Promise<number>;
  /** Live (not deleted) tokens this broker's rotation created, listed with `accessToken`. */
  brokerTokens(accessToken: string): Promise<Array<{ id: string; workflowState: string }>>;
  fault(spec: FaultSpec): void;
}

const crashed = (what: string) => new Error(`simulated crash ${what}`);

export interface RotationSimulator {
  readonly sim: RunningSimulator;
  readonly clock: FakeClock;
}

/** One simulator per test file (its keys take a while to generate); each rig resets it. */
export const startRotationSimulator = async (): Promise<RotationSimulator> => {
  const clock = makeFakeClock(START);
  const sim = await startSimulator({ now: () => clock.now() });
  return { sim, clock };
};

/** A fresh secret and rotation over a reset simulator: every test starts from the seeded token. */
export const makeRotationRig = (
  { sim, clock }: RotationSimulator,
  options: {
    extraFields?: Record<string, string>;
    /** Rotation settings beyond the defaults (the schedule interval, the expiry margin). */
    settings?: Pick<RotateCanvasTokenDeps, 'rotateEveryDays' | 'expiryMarginDays'>;
  } = {},
): RotationRig => {
  sim.reset();
  clock.set(START);
  const seeds = sim.seeds();
  const seedToken = seeds.canvas.accessToken;
  registerCanary(seedToken);
  const sm = makeMemorySecretsManager();
  const { arn, versionId: initialVersionId } = sm.create(
    'canvas/broker',
    JSON.stringify({ accessToken: seedToken, userId: 'self', ...options.extraFields }),
  );
  sm.enableRotation(arn);

  const crash: CrashSwitches = {
    afterCanvasCreate: false,
    afterPut: false,
    afterPromote: false,
    beforeCreate: undefined,
  };
  const canvas = makeHttpRotationCanvas({ baseUrl: sim.url, clock, timeoutMs: 5_000, userAgent: USER_AGENT });
  const crashingCanvas: RotationCanvas = (accessToken) => {
    const session = canvas(accessToken);
    return {
      ...session,
      async createToken(userId, input, signal) {
        const before = crash.beforeCreate;
        crash.beforeCreate = undefined;
        before?.();
        const created = await session.createToken(userId, input, signal);
        if (created.secret !== undefined) registerCanary(created.secret);
        if (crash.afterCanvasCreate) {
          crash.afterCanvasCreate = false;
          throw crashed('after the Canvas create');
        }
        return created;
      },
    } satisfies RotationCanvasSession;
  };
  const store: RotationSecretStore = {
    describe: (id) => sm.describe(id),
    getValue: (id, query) => sm.getValue(id, query),
    async putPending(id, token, value) {
      const outcome = await sm.putPending(id, token, value);
      if (crash.afterPut) {
        crash.afterPut = false;
        throw crashed('after PutSecretValue');
      }
      return outcome;
    },
    async promote(id, next, old) {
      await sm.promote(id, next, old);
      if (crash.afterPromote) {
        crash.afterPromote = false;
        throw crashed('after UpdateSecretVersionStage');
      }
    },
  };
  const logger = makeCapturingLogger();
  const metrics = makeCapturingMetrics();
  const rotation = makeRotateCanvasToken({
    secrets: store,
    canvas: crashingCanvas,
    canvasBaseUrl: sim.url,
    tokenExpiryDays: 90,
    clock,
    logger,
    metrics,
    ...options.settings,
  });

  const step = (name: RotationStep, token: string) =>
    rotation.rotate({ SecretId: arn, ClientRequestToken: token, Step: name });

  const rig: RotationRig = {
    sim,
    clock,
    sm,
    arn,
    initialVersionId,
    seedToken,
    crash,
    logger,
    metrics,
    rotation,
    canvas,
    begin: (token) => {
      sm.startRotation(arn, token);
    },
    step,
    async rotateAll(token, { until } = {}) {
      // What RotateSecret does first (and again, harmlessly, when it retries the same token).
      sm.startRotation(arn, token);
      for (const name of STEPS) {
        await step(name, token);
        if (name === until) return;
      }
    },
    async currentValue() {
      const current = await sm.getValue(arn, { stage: STAGE.current });
      if (!current) throw new Error('no AWSCURRENT value');
      const fields = JSON.parse(current.secretString) as { accessToken: string; tokenId: string };
      registerCanary(fields.accessToken);
      return { versionId: current.versionId, accessToken: fields.accessToken, tokenId: fields.tokenId };
    },
    async whoamiStatus(accessToken) {
      const response = await fetch(`${sim.url}/api/v1/users/self`, {
        headers: { authorization: `Bearer ${accessToken}`, 'user-agent': USER_AGENT },
      });
      await response.arrayBuffer();
      return response.status;
    },
    async brokerTokens(accessToken) {
      const tokens = await canvas(accessToken).listTokens('self');
      return tokens
        .filter((t) => t.purpose?.startsWith(BROKER_PURPOSE) && t.workflowState !== 'deleted')
        .map((t) => ({ id: t.id, workflowState: t.workflowState }));
    },
    fault: (spec) => sim.addFault(spec),
  };
  return rig;
};

export const newRequestToken = (): string => randomUUID();
