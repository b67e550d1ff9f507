export { Customer, PostalAddress } from './customer.entity';
export { Identity } from './identity.entity';
export { Product } from './product.entity';
export { Order } from './order.entity';
export { OrderLine } from './order-line.entity';
export { Interaction } from './interaction.entity';
export { Feedback } from './feedback.entity';
export { ConsentRecord } from './consent-record.entity';
export { ApiKey } from './api-key.entity';
export { AuditEntry } from './audit-entry.entity';
export { SuppressedIdentifier } from './suppressed-identifier.entity';
export { CustomerMetrics } from './customer-metrics.entity';
export { Segment, SegmentMembership } from './segment.entity';

import { Customer } from './customer.entity';
import { Identity } from './identity.entity';
import { Product } from './product.entity';
import { Order } from './order.entity';
import { OrderLine } from './order-line.entity';
import { Interaction } from './interaction.entity';
import { Feedback } from './feedback.entity';
import { ConsentRecord } from './consent-record.entity';
import { ApiKey } from './api-key.entity';
import { AuditEntry } from './audit-entry.entity';
import { SuppressedIdentifier } from './suppressed-identifier.entity';
import { CustomerMetrics } from './customer-metrics.entity';
import { Segment, SegmentMembership } from './segment.entity';

export const entities = [Customer, Identity, Product, Order, OrderLine, Interaction, Feedback, ConsentRecord, ApiKey, AuditEntry, SuppressedIdentifier, CustomerMetrics, Segment, SegmentMembership];
