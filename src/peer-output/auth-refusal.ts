/**
 * What a refused credential sounds like in a peer CLI's output: a 401, a missing or invalid key, a
 * login that expired. Read by the classifier (such a halt is never a usage limit, src/loop/classify.ts)
 * and by the one-line cause a failed turn gets (src/loop/failure-cause.ts).
 */
export const AUTH_TEXT = /\b401\b|unauthori[sz]ed|invalid[ _-]?(?:x-)?api[ _-]?key|incorrect api key|authentication[ _-]?(?:failed|error)|missing[ _-]?api[ _-]?key|expired[ _-]?(?:api[ _-]?key|token)|not[ _-]?(?:logged|signed)[ _-]?in|run \/login/i;
