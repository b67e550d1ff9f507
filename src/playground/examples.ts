/** Example operations preloaded in the playground (one tab each). Named, so tabs get titles. */
export const customer360Query = `# The customer-360 view: profile, identities, recent orders with lines,
# interactions, feedback and the consent in force, in one request.
query Customer360($first: Int = 5) {
  customers(first: $first) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      id
      firstName
      lastName
      email
      lastSeenAt
      identities { kind namespace value }
      orders(first: 3) {
        totalCount
        nodes {
          placedAt
          channel
          total { amount currency }
          lines { quantity lineTotal { amount } product { sku name category } }
        }
      }
      interactions(first: 5) { nodes { occurredAt channel type product { name } } }
      feedback(first: 3) { nodes { kind score topic status submittedAt } }
      consents { current { purpose channel status recordedAt } }
    }
  }
}
`;

export const playgroundExamples = [
  {
    name: 'FindByEmail',
    query: `query FindByEmail($email: String = "ada.lovelace.1@example.com") {
  customerByIdentifier(kind: EMAIL, value: $email) {
    id firstName lastName
    orders(first: 5) { nodes { placedAt total { amount currency } } }
  }
}
`,
  },
  {
    name: 'RecordInteraction',
    query: `# Paste a customer id from Customer360 first.
mutation RecordInteraction($customerId: ID!) {
  recordInteraction(input: { customerId: $customerId, channel: WEB, type: PAGE_VIEW, properties: { path: "/sale" } }) {
    duplicate
    interaction { id occurredAt channel type properties }
  }
}
`,
  },
];
