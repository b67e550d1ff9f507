import { parseArgs } from 'node:util';
import { signToken } from '../auth/jwt';
import { Role } from '../auth/viewer';
import { DEV_JWT_SECRET } from '../config';
import { UsageError, type Command } from './command';

const USAGE = `usage: npx rapport token [ROLE] [SUBJECT] [CUSTOMER_GLOBAL_ID] [--ttl 12h]      (also: npm run -s token -- ROLE …)

Prints a signed bearer token (HS256) for ROLE (default admin): ${Object.values(Role).join(', ')}.
SUBJECT defaults to cli-ROLE; a customer token names its customer's global id.
Signs with JWT_SECRET, else the development secret the server uses when JWT_SECRET is unset.
--ttl (or TOKEN_TTL): lifetime such as 30m, 12h, 7d (default 12h).`;

async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { ttl: { type: 'string' } } });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const [role = 'admin', sub = `cli-${role}`, customerId, ...extra] = parsed.positionals;
  if (extra.length) throw new UsageError(`unexpected argument ${extra[0]}`);
  if (!Object.values(Role).includes(role as Role)) throw new UsageError(`role must be one of ${Object.values(Role).join(', ')}`);
  const token = await signToken(process.env.JWT_SECRET || DEV_JWT_SECRET, { sub, role: role as Role, customerId }, parsed.values.ttl || process.env.TOKEN_TTL || '12h');
  console.log(token);
  return 0;
}

export const command: Command = { usage: USAGE, run };
