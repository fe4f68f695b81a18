/**
 * The demo's job (`npm start` writes it beside the generated file): the product's own example of a card
 * settlement feed, also loaded by the tests that check the controls do not raise false alarms on it.
 */
export const DEMO_JOB_YAML = `# Demo job written by \`npm start\`: ~1% of the rows are invalid on purpose.
name: demo-card-settlements
source:
  kind: csv
  path: transactions.csv
  system: demo-core-banking
  mapping:
    txn_id: id
    account: account_iban
    counterparty_account: counterparty_iban
    counterparty_name: counterparty_name
    amount: amount
    currency: currency
    booked_at: booked_at
    value_date: value_date
    reference: reference
    card_pan: card_number
sink: { table: transactions }
batching: { minSize: 2000, maxSize: 50000, targetCommitMs: 250, maxInFlightMB: 64 }
errors: { maxRejectRatio: 0.02 }
# AML rules run on every batch; sanctions screening needs a list (STRONGROOM_SANCTIONS_LISTS), which a
# fresh demo does not have, so it is off here. KYC is not declared: the demo has no KYC records.
compliance: { frameworks: [SOX, PCI_DSS, AML], classification: { account: RESTRICTED }, sanctions: off }
`;

/** How the demo file is generated (with its row count): ~1 % invalid rows, ~20 % with a card number. */
export const DEMO_DATA_OPTIONS = { badRatio: 0.01, cardRatio: 0.2, idPrefix: 'DEMO' } as const;
