import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { CustomerPreference } from '../entities';
import { inferPreferences, loadStatedPreferences, type InferredResult } from '../services/preferences.service';

/** Stated and inferred preferences per customer: one statement each per request, whatever the list size. */
export function createPreferenceLoaders(em: EntityManager) {
  return {
    statedPreferences: new DataLoader<string, CustomerPreference[]>((ids) => loadStatedPreferences(em, ids)),
    inferredPreferences: new DataLoader<string, InferredResult>((ids) => inferPreferences(em, ids)),
  };
}
