import { Kind, getOperationAST, parse } from 'graphql';
import * as ops from '../tests/generated/graphql';
import { buildBareSchema } from '../src/schema/build-schema';
import { operationCost } from '../src/hardening/limits';
import { customer360Query, playgroundExamples } from '../src/playground/examples';
(async () => {
  const schema = await buildBareSchema();
  const docs: any[] = Object.entries(ops).filter(([, v]: any) => v && v.kind === Kind.DOCUMENT);
  docs.push(['c360', parse(customer360Query)], ...playgroundExamples.map((e) => [e.name, parse(e.query)]));
  for (const [name, d] of docs) {
    const op = getOperationAST(d)!;
    const c = operationCost(schema, d, op, { first: 100 }, 100);
    const c5 = operationCost(schema, d, op, {}, 100);
    if (c > 2000) console.log(name, c, c5);
  }
})();
