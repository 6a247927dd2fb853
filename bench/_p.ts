import { matchIncident } from '../lambdas/domain/news';
import { COINCHECK_NEM_2018 } from '../lambdas/domain/config';
for (const c of process.argv.slice(2).join(' ').split('|').map((x) => x.trim()).filter(Boolean)) { const m = matchIncident(c, COINCHECK_NEM_2018); console.log(m.matched, JSON.stringify(m.specific), c); }
