import { signToken } from '../src/auth/jwt';
import { Role } from '../src/auth/viewer';
import { DEV_JWT_SECRET } from '../src/config';

// Mints a bearer token: npm run token -- ROLE [SUBJECT] [CUSTOMER_GLOBAL_ID]
// Uses JWT_SECRET (or the development secret when unset).
const [role = 'admin', sub = `cli-${role}`, customerId] = process.argv.slice(2);
if (!Object.values(Role).includes(role as Role)) {
  console.error(`role must be one of ${Object.values(Role).join(', ')}`);
  process.exit(2);
}
void signToken(process.env.JWT_SECRET || DEV_JWT_SECRET, { sub, role: role as Role, customerId }, process.env.TOKEN_TTL || '12h').then((t) => console.log(t));
