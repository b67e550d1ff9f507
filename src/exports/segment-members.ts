import { ConsentChannel, ConsentPurpose } from '../entities/enums';
import { consentInForceOrder } from '../entities/consent-record.entity';
import { plainDigestSql, type Keyring } from '../auth/pseudonyms';
import { macsSql, ownContactSql, type Bind } from '../auth/own-contact';

/**
 * The members of a segment a marketing use may reach (README "Exports"): one definition, used by the
 * CLI export (COPY TO STDOUT) and by `Segment.members` (keyset pages). A customer is in when they are
 *  - a current member of the segment (open membership: entered, not left);
 *  - active: never erased, never merged away (a merged profile's history lives on its survivor, which
 *    is listed if it is itself a member);
 *  - not suppressed: none of their identifiers is on the suppression list (suppressed_identifiers,
 *    matched under every PSEUDONYM_KEYS key, as the ingestion does);
 *  - covered by the consent in force for the purpose on the channel: `rapport_consent_status` is
 *    'granted' (the newest record for that channel or for ANY; denied, withdrawn, expired or never
 *    asked allow nothing);
 *  - reachable on the channel: an e-mail address for EMAIL, a phone number for SMS and PHONE, and that
 *    address is theirs to be reached at: not an identifier another profile holds, nor a suppressed one.
 *    A customer writing their own profile may not learn whose an identifier is, so an address another
 *    profile holds is stored as their contact field as stated (neither linked nor refused: ingestion
 *    rules `revealOwners`); a send to it would reach that other person, under this one's consent. An
 *    erased person's address written before the erasure stays on such a profile the same way.
 */

/** The channel a marketing purpose is exercised on when none is named. */
export const DEFAULT_CHANNEL: Partial<Record<ConsentPurpose, ConsentChannel>> = {
  [ConsentPurpose.EMAIL_MARKETING]: ConsentChannel.EMAIL,
  [ConsentPurpose.SMS_MARKETING]: ConsentChannel.SMS,
  [ConsentPurpose.PUSH_MARKETING]: ConsentChannel.PUSH,
  [ConsentPurpose.PHONE_MARKETING]: ConsentChannel.PHONE,
};

export function channelFor(purpose: ConsentPurpose, channel?: ConsentChannel | null): ConsentChannel {
  return channel ?? DEFAULT_CHANNEL[purpose] ?? ConsentChannel.ANY;
}

/** The contact column a channel needs (the member is left out without it), if any. */
const CONTACT_COLUMN: Partial<Record<ConsentChannel, 'email' | 'phone'>> = {
  [ConsentChannel.EMAIL]: 'email',
  [ConsentChannel.SMS]: 'phone',
  [ConsentChannel.PHONE]: 'phone',
};

export interface MembersSelection {
  segmentId: string;
  purpose: ConsentPurpose;
  channel: ConsentChannel;
}

export { literal, paramsBind, settingsBind, type Bind } from '../auth/own-contact';

/**
 * FROM … WHERE of the eligible members, aliases: `sm` membership, `c` customer, `r` the consent record
 * in force (its id, channel and dates are the proof of consent each row carries). `secretBind` binds the
 * keyring's HMAC pads (default: `bind`), which must never be written into a statement's text.
 */
export function membersFromWhere(sel: MembersSelection, keyring: Keyring, bind: Bind, secretBind: Bind = bind): string {
  const contact = CONTACT_COLUMN[sel.channel];
  // HMAC of each identifier's SHA-256 (Keyring.identifierDigest), under every key of the ring.
  const message = plainDigestSql('i.kind', 'i.namespace', 'i.value');
  // Placeholders are positional: each value is bound where it appears, in the order of the text.
  let sql = `from segment_memberships sm
    join customers c on c.id = sm.customer_id
    cross join lateral (select r.id, r.status, r.channel, r.recorded_at, r.expires_at, r.policy_version from consent_records r
                        where r.customer_id = sm.customer_id and r.purpose = ${bind(sel.purpose)} and r.channel in (${bind(sel.channel)}, 'any')
                        order by ${consentInForceOrder('r')} limit 1) r
    where sm.segment_id = ${bind(sel.segmentId)}::uuid and sm.left_at is null and c.status = 'active'`;
  // The record in force is the one rapport_consent_status reads (newest by recorded_at, then seq, for the channel or ANY),
  // and its answer is 'granted' exactly when that record is a grant not past its expiry: checked on the
  // lateral's row rather than by calling the function again per member (half the export's time on
  // 200,000 members). tests/integration/exports.test.ts checks the two agree on every consent state.
  sql += `
      and r.status = 'granted' and (r.expires_at is null or r.expires_at > now())
      ${contact ? `and c.${contact} is not null` : ''}`;
  const macs = macsSql(keyring, secretBind, message);
  sql += `
      and not exists (select 1 from identities i join suppressed_identifiers s on s.digest in (${macs.join(', ')})
                      where i.customer_id = sm.customer_id)`;
  // The contact address is theirs to be reached at: held by no other profile, and not suppressed.
  if (contact) sql += `
      and ${ownContactSql(contact, 'c', keyring, secretBind)}`;
  return sql;
}

/** A Customer global id in SQL (toGlobalId: base64url of "Customer:<uuid>", 45 bytes: no padding, no line break). */
const customerGlobalIdSql = (col: string) => `translate(encode(convert_to('Customer:' || ${col}::text, 'UTF8'), 'base64'), '+/', '-_')`;
const consentGlobalIdSql = (col: string) => `rtrim(translate(replace(encode(convert_to('ConsentRecord:' || ${col}::text, 'UTF8'), 'base64'), E'\\n', ''), '+/', '-_'), '=')`;

/** One exported column: its name in the file and its SQL. */
export interface ExportColumn {
  name: string;
  sql: string;
  description: string;
}

/**
 * The exported columns for a channel: who (global id), how to reach them on that channel, how to
 * address them, and the proof of consent. Nothing else (no birth date, no traits, no metrics): an
 * export is a send list, and the less it holds the less can leak from it.
 */
export function exportColumns(channel: ConsentChannel): ExportColumn[] {
  const contact = CONTACT_COLUMN[channel];
  return [
    { name: 'customer_id', sql: customerGlobalIdSql('c.id'), description: 'the customer\'s global id (as the API names them)' },
    ...(contact === 'email' ? [{ name: 'email', sql: 'c.email', description: 'primary e-mail address (EMAIL channel)' }] : []),
    ...(contact === 'phone' ? [{ name: 'phone', sql: 'c.phone', description: 'primary phone number, E.164 (SMS and PHONE channels)' }] : []),
    ...(channel === ConsentChannel.POST
      ? [
          { name: 'address_line1', sql: "c.address ->> 'line1'", description: 'postal address (POST channel)' },
          { name: 'address_line2', sql: "c.address ->> 'line2'", description: '' },
          { name: 'city', sql: "c.address ->> 'city'", description: '' },
          { name: 'region', sql: "c.address ->> 'region'", description: '' },
          { name: 'postal_code', sql: "c.address ->> 'postalCode'", description: '' },
          { name: 'country', sql: "c.address ->> 'country'", description: '' },
        ]
      : []),
    { name: 'first_name', sql: 'c.first_name', description: 'to address the person' },
    { name: 'last_name', sql: 'c.last_name', description: '' },
    { name: 'locale', sql: 'c.locale', description: 'to write in their language' },
    { name: 'segment_entered_at', sql: `to_char(sm.entered_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`, description: 'when they entered the segment (UTC)' },
    { name: 'consent_id', sql: consentGlobalIdSql('r.id'), description: 'the consent record in force (global id): the proof of consent' },
    { name: 'consent_channel', sql: 'upper(r.channel)', description: 'the channel that record names (the channel asked for, or ANY)' },
    { name: 'consent_recorded_at', sql: `to_char(r.recorded_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`, description: 'when the customer decided' },
    { name: 'consent_expires_at', sql: `to_char(r.expires_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`, description: 'when the grant lapses; empty: never' },
    { name: 'consent_policy_version', sql: 'r.policy_version', description: 'the privacy policy they were shown' },
  ];
}
