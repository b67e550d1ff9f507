import { graphql } from './gql';

/**
 * The operations of a web front end, written where they are used. `npm run codegen` types them
 * against the committed schema.graphql and lists them, by SHA-256, in gql/persisted-documents.json:
 * the manifest a server in trusted-documents mode runs (README "Front-end guide").
 */
export const CustomerCardQuery = graphql(`
  query CustomerCard($id: ID!) {
    customer(id: $id) {
      id
      firstName
      lastName
      email
      orders(first: 5) {
        totalCount
        nodes { id placedAt total { amount currency } }
      }
    }
  }
`);

export const RecordPageViewMutation = graphql(`
  mutation RecordPageView($customerId: ID!, $path: String!) {
    recordInteraction(input: { customerId: $customerId, channel: WEB, type: PAGE_VIEW, properties: { path: $path } }) {
      duplicate
      interaction { id occurredAt }
    }
  }
`);
