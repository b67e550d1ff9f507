import DataLoader from 'dataloader';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { CustomerMerge } from '../entities/customer-merge.entity';
import { mergesOfCustomers } from '../services/merge.service';

/** Customer.merges: one statement per batch of customers. */
export function createMergeLoaders(em: EntityManager) {
  return {
    mergesByCustomer: new DataLoader<string, CustomerMerge[]>((ids) => mergesOfCustomers(em, ids)),
  };
}
