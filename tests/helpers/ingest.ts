/** The `ingestEvents` document and its answer's shape, as the ingestion tests ask for them. */
export const INGEST = `mutation($events: [IngestEventInput!]!) {
  ingestEvents(events: $events) {
    acceptedCount duplicateCount rejectedCount
    results { index idempotencyKey status customerId interactionId orderId error { code message field reason } }
  }
}`;

export type IngestResult = {
  index: number; idempotencyKey: string | null; status: 'ACCEPTED' | 'DUPLICATE' | 'REJECTED';
  customerId: string | null; interactionId: string | null; orderId: string | null;
  error: { code: string; message: string; field: string | null; reason: string | null } | null;
};
export type IngestPayload = { acceptedCount: number; duplicateCount: number; rejectedCount: number; results: IngestResult[] };
