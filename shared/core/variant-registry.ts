import type { CredentialConfig, NormalizedParams } from './credential.ts';
import { normalizeParams } from './normalize-params.ts';
import { variantId } from './variant-id.ts';
import type { VariantState } from './variant-state.ts';

/** Most variants one instance keeps in memory per credential (callers choose parameters). */
export const MAX_VARIANTS_PER_CREDENTIAL = 1_000;

/** This instance's variants: one VariantState (memory tier, shared cycle) per credential and parameters. */
export interface VariantRegistry {
  /** The variant of already normalized parameters (from a stored item or a request). */
  stateFor(credential: CredentialConfig, params: NormalizedParams, id?: string): VariantState;
  /** The variant a request names: parameters normalized (BadRequest on bad ones), none = `{}`. */
  variantOf(credential: CredentialConfig, rawParams: unknown): VariantState;
  /** Every variant of the credential this instance holds. */
  statesOf(credentialId: string): Iterable<VariantState>;
}

export const makeVariantRegistry = (): VariantRegistry => {
  /** Per credential: variant id → state. The no-parameter variant is looked up without hashing. */
  const variants = new Map<string, Map<string, VariantState>>();
  const defaults = new Map<string, VariantState>();

  const stateFor: VariantRegistry['stateFor'] = (credential, params, id = variantId(params)) => {
    let byId = variants.get(credential.id);
    if (!byId) {
      byId = new Map();
      variants.set(credential.id, byId);
    }
    let state = byId.get(id);
    if (!state) {
      // Bounded memory: callers choose parameters, so the set of variants must not grow without end.
      if (byId.size >= MAX_VARIANTS_PER_CREDENTIAL) byId.delete(byId.keys().next().value as string);
      state = { key: { credentialId: credential.id, variantId: id }, credential, params, source: 'table' };
      byId.set(id, state);
    }
    return state;
  };

  return {
    stateFor,
    variantOf: (credential, rawParams) => {
      if (rawParams === undefined || rawParams === null) {
        let state = defaults.get(credential.id);
        if (!state) {
          // Normalized like any request: `{}` and no params at all must name the same variant.
          state = stateFor(credential, normalizeParams(credential, undefined));
          defaults.set(credential.id, state);
        }
        return state;
      }
      return stateFor(credential, normalizeParams(credential, rawParams));
    },
    statesOf: (credentialId) => variants.get(credentialId)?.values() ?? [],
  };
};
