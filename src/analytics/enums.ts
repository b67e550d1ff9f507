export enum ValueTier {
  MOST_VALUABLE = 'most_valuable',
  MOST_GROWABLE = 'most_growable',
  MAINTAIN = 'maintain',
  BELOW_ZERO = 'below_zero',
}

export enum LifecycleStage {
  PROSPECT = 'prospect',
  NEW = 'new',
  ACTIVE = 'active',
  AT_RISK = 'at_risk',
  LAPSED = 'lapsed',
  WON_BACK = 'won_back',
}

/** Metrics a segment rule or a customers filter may compare (column of customer_metrics). */
export enum MetricField {
  CHURN_RISK = 'churn_risk',
  P_ALIVE = 'p_alive',
  CLV_12M_MINOR = 'clv12m_minor',
  HISTORIC_VALUE_MINOR = 'historic_value_minor',
  PREDICTED_PURCHASES_12M = 'predicted_purchases12m',
  ORDERS_COUNT = 'orders_count',
  RECENCY_DAYS = 'recency_days',
  R_SCORE = 'r_score',
  F_SCORE = 'f_score',
  M_SCORE = 'm_score',
  ENGAGEMENT_DECLINE = 'engagement_decline',
  NEGATIVE_FEEDBACK_90D = 'negative_feedback90d',
}

export enum ComparisonOp {
  LT = '<',
  LTE = '<=',
  EQ = '=',
  GTE = '>=',
  GT = '>',
}

export const RFM_SEGMENTS = ['Champions', 'Loyal', 'Potential Loyalists', 'New Customers', 'Need Attention', 'At Risk', "Can't Lose Them", 'Hibernating', 'Lost', 'Prospect'] as const;

/** How a segment rule compares a custom trait; the value's type (number, date, boolean, text) is the one given. */
export enum TraitOp {
  EQ = '=',
  NEQ = '<>',
  LT = '<',
  LTE = '<=',
  GT = '>',
  GTE = '>=',
  /** Text contains the given text, case-insensitively. */
  CONTAINS = 'contains',
  /** Text equals one of the given texts. */
  IN = 'in',
  /** The trait is present (any type, not null). */
  EXISTS = 'exists',
}

/** Which preferences a `prefers` condition looks at. */
export enum PreferenceSource {
  STATED = 'stated',
  INFERRED = 'inferred',
  /** Stated, or inferred. */
  ANY = 'any',
}
